using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using Mesh.State;

namespace Mesh.Backends.Dapr;

/// <summary>
/// <see cref="IStateStore"/> through the Dapr state API.
/// </summary>
/// <remarks>
/// <para>Mesh ETags are versions Mesh writes into the value (a JSON record <c>{version, data}</c>), not the
/// component's ETags: Dapr's save calls do not return the new ETag, so a write could not report its own
/// ETag without a racy read-back. Preconditions are checked against the version, and the write itself is
/// conditioned on the component ETag just read (first-write concurrency), so nobody slips in between.</para>
/// <para>Prefix scans use a key index kept in state (sharded documents updated in the same Dapr transaction
/// as the keys they list), not the state query API: that API is alpha, exists on few components, and filters
/// on JSON fields of values, never on key prefixes. The price is that creates and deletes also write an
/// index shard, and that a scan reads every shard.</para>
/// <para>The component must support ETags and transactions (Redis, PostgreSQL, MongoDB, Cosmos DB …); on
/// partitioned stores (Cosmos DB) all keys must share a partition for transactions to be allowed.</para>
/// </remarks>
public sealed class DaprStateStore(DaprClient client, DaprOptions options) : IStateStore
{
    private const int MaxKeyBytes = 512;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite, Consistency = ConsistencyMode.Strong };

    private readonly string store = options.StateStoreName;

    /// <inheritdoc />
    public async ValueTask<StateItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        var (record, _) = await client.GetStateAndETagAsync<StoredRecord?>(store, DataKey(key), ConsistencyMode.Strong, cancellationToken: cancellationToken).ConfigureAwait(false);
        return record?.Version is null ? null : new StateItem(key, record.Data ?? [], record.Version);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StateItem>> GetBulkAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            CheckKey(key);
        }

        if (keys.Count == 0)
        {
            return [];
        }

        var found = await ReadAsync([.. keys.Select(DataKey)], cancellationToken).ConfigureAwait(false);
        return [.. keys.Select(k => found.TryGetValue(DataKey(k), out var read) && read.Record?.Version is { } version
            ? new StateItem(k, read.Record.Data ?? [], version)
            : null).OfType<StateItem>()];
    }

    /// <inheritdoc />
    public async ValueTask<string> SetAsync(string key, ReadOnlyMemory<byte> value, string? expectedETag = null, CancellationToken cancellationToken = default) =>
        (await TransactAsync([StateOperation.Upsert(key, value, expectedETag)], cancellationToken).ConfigureAwait(false))[0];

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string key, string? expectedETag = null, CancellationToken cancellationToken = default) =>
        await TransactAsync([StateOperation.Delete(key, expectedETag)], cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        foreach (var operation in operations)
        {
            CheckKey(operation.Key);
        }

        if (operations.Count == 0)
        {
            return [];
        }

        using var activity = DaprTelemetry.ActivitySource.StartActivity("state transact", ActivityKind.Client);
        activity?.SetTag("mesh.state.operations", operations.Count);
        for (var attempt = 1; ; attempt++)
        {
            var result = await TryTransactAsync(operations, cancellationToken).ConfigureAwait(false);
            if (result is not null)
            {
                return result;
            }

            DaprTelemetry.WriteConflicts.Add(1);
            if (attempt >= options.MaxConflictRetries)
            {
                throw new InvalidOperationException($"State write gave up after {attempt} optimistic-concurrency conflicts on '{operations[0].Key}'.");
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StateItem>> ScanAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var shards = await ReadAsync([.. Enumerable.Range(0, options.IndexShards).Select(IndexKey)], cancellationToken).ConfigureAwait(false);
        var keys = shards.Values.SelectMany(s => s.Record?.Keys ?? [])
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && (afterKey is null || string.CompareOrdinal(k, afterKey) > 0))
            .Order(StringComparer.Ordinal)
            .Take(limit)
            .ToList();
        // A key deleted between the index read and this one is simply left out, as if the scan ran after the delete.
        return await GetBulkAsync(keys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One optimistic attempt; null when it lost a race it must retry.</summary>
    private async Task<IReadOnlyList<string>?> TryTransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        var dataKeys = operations.Select(o => DataKey(o.Key)).Distinct(StringComparer.Ordinal).ToList();
        var current = await ReadAsync(dataKeys, cancellationToken).ConfigureAwait(false);

        // Every precondition against the state before the transaction, then the operations in order.
        foreach (var operation in operations)
        {
            var version = current[DataKey(operation.Key)].Record?.Version;
            var holds = operation.ExpectedETag switch
            {
                null => true,
                ETag.Absent => version is null,
                var expected => version == expected,
            };
            if (!holds)
            {
                throw new ETagMismatchException(operation.Key);
            }
        }

        var final = new Dictionary<string, StoredRecord?>(StringComparer.Ordinal);
        var versions = new string[operations.Count];
        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is UpsertOperation upsert)
            {
                versions[i] = Guid.NewGuid().ToString("N");
                final[upsert.Key] = new StoredRecord(versions[i], upsert.Value.ToArray(), null);
            }
            else
            {
                versions[i] = string.Empty;
                final[operations[i].Key] = null;
            }
        }

        var indexChanges = final
            .Where(f => (current[DataKey(f.Key)].Record?.Version is not null) != (f.Value is not null))
            .GroupBy(f => IndexKey(Shard(f.Key)))
            .ToList();

        if (indexChanges.Count == 0 && final.Count == 1 && final.Single() is { Value: { } only } single && current[DataKey(single.Key)].ETag is { Length: > 0 } etag)
        {
            // An update of an existing key leaves the index alone: one conditional save.
            return await client.TrySaveStateAsync(store, DataKey(single.Key), only, etag, FirstWrite, cancellationToken: cancellationToken).ConfigureAwait(false)
                ? versions
                : null;
        }

        var requests = new List<StateTransactionRequest>();
        foreach (var (key, record) in final)
        {
            var read = current[DataKey(key)];
            if (record is not null)
            {
                // No ETag on an absent key with first-write concurrency: insert only if it still does not exist.
                requests.Add(new StateTransactionRequest(DataKey(key), JsonSerializer.SerializeToUtf8Bytes(record, Json), StateOperationType.Upsert, NullIfEmpty(read.ETag), options: FirstWrite));
            }
            else if (read.Record is not null)
            {
                requests.Add(new StateTransactionRequest(DataKey(key), null, StateOperationType.Delete, NullIfEmpty(read.ETag), options: FirstWrite));
            }
        }

        if (indexChanges.Count > 0)
        {
            var shards = await ReadAsync([.. indexChanges.Select(g => g.Key)], cancellationToken).ConfigureAwait(false);
            foreach (var change in indexChanges)
            {
                var shard = shards[change.Key];
                var members = new SortedSet<string>(shard.Record?.Keys ?? [], StringComparer.Ordinal);
                foreach (var (key, record) in change)
                {
                    if (record is null)
                    {
                        members.Remove(key);
                    }
                    else
                    {
                        members.Add(key);
                    }
                }

                requests.Add(new StateTransactionRequest(
                    change.Key, JsonSerializer.SerializeToUtf8Bytes(new StoredRecord(null, null, [.. members]), Json), StateOperationType.Upsert, NullIfEmpty(shard.ETag), options: FirstWrite));
            }
        }

        if (requests.Count == 0)
        {
            return versions;
        }

        try
        {
            await client.ExecuteStateTransactionAsync(store, requests, cancellationToken: cancellationToken).ConfigureAwait(false);
            return versions;
        }
        catch (DaprException exception) when (IsConflict(exception))
        {
            return null;
        }
    }

    // Dapr reports an ETag mismatch as ABORTED; some runtime versions wrap transaction failures as INTERNAL
    // with the component's message, which for every ETag-aware component names the ETag.
    private static bool IsConflict(DaprException exception) =>
        exception.InnerException is RpcException rpc &&
        (rpc.StatusCode is StatusCode.Aborted or StatusCode.FailedPrecondition ||
         (rpc.StatusCode == StatusCode.Internal && rpc.Status.Detail.Contains("etag", StringComparison.OrdinalIgnoreCase)));

    private async Task<Dictionary<string, (StoredRecord? Record, string? ETag)>> ReadAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var items = await client.GetBulkStateAsync(store, keys, parallelism: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, (StoredRecord?, string?)>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            result[key] = (null, null);
        }

        foreach (var item in items)
        {
            result[item.Key] = string.IsNullOrEmpty(item.Value)
                ? (null, null)
                : (JsonSerializer.Deserialize<StoredRecord>(item.Value, Json), item.ETag);
        }

        return result;
    }

    private static string? NullIfEmpty(string? etag) => string.IsNullOrEmpty(etag) ? null : etag;

    private string DataKey(string key) => options.KeyPrefix + "d:" + key;

    private string IndexKey(int shard) => options.KeyPrefix + "i:" + shard.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // FNV-1a: stable across processes and runtimes, unlike string.GetHashCode, so every replica picks the same shard.
    private int Shard(string key)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)options.IndexShards);
    }

    private static void CheckKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            throw new ArgumentException($"State keys are at most {MaxKeyBytes} UTF-8 bytes.", nameof(key));
        }
    }
}

/// <summary>What Mesh stores under a Dapr key: a versioned value, or one shard of the key index.</summary>
/// <param name="Version">The Mesh ETag of a value.</param>
/// <param name="Data">The value bytes (base64 in JSON).</param>
/// <param name="Keys">The keys an index shard lists, in ordinal order.</param>
internal sealed record StoredRecord(string? Version, byte[]? Data, List<string>? Keys);
