using System.Diagnostics;
using System.Text;
using Mesh.State;
using StackExchange.Redis;

namespace Mesh.Backends.Redis;

/// <summary>
/// <see cref="IStateStore"/> on Redis. Each key is a hash (<c>v</c> value, <c>e</c> ETag); a sorted set
/// indexes every key for ordered prefix scans. Every write runs as one Lua script that checks all ETag
/// preconditions, then applies all operations and the index changes: Redis runs scripts atomically, so
/// no other command sees a half-applied transaction or slips between the check and the write.
/// </summary>
public sealed class RedisStateStore(RedisConnection connection, bool ownsConnection = false) : IStateStore, IAsyncDisposable
{
    private const int MaxKeyBytes = 512;

    // KEYS[1] index, KEYS[2] ETag counter, KEYS[3..] data keys; ARGV per operation: kind, condition, expected ETag, value, user key.
    private const string TransactScript = """
        local n = #KEYS - 2
        for i = 1, n do
          local b = (i - 1) * 5
          local cond = ARGV[b + 2]
          if cond ~= 'n' then
            local current = redis.call('HGET', KEYS[i + 2], 'e')
            if cond == 'a' then
              if current then return {0, i} end
            elseif current ~= ARGV[b + 3] then
              return {0, i}
            end
          end
        end
        local result = {1}
        for i = 1, n do
          local b = (i - 1) * 5
          if ARGV[b + 1] == 'u' then
            local etag = tostring(redis.call('INCR', KEYS[2]))
            redis.call('HSET', KEYS[i + 2], 'v', ARGV[b + 4], 'e', etag)
            redis.call('ZADD', KEYS[1], 0, ARGV[b + 5])
            result[#result + 1] = etag
          else
            redis.call('DEL', KEYS[i + 2])
            redis.call('ZREM', KEYS[1], ARGV[b + 5])
            result[#result + 1] = ''
          end
        end
        return result
        """;

    // Data keys are derived inside the script: legal on Redis Cluster only because every key shares the prefix's hash tag.
    private const string ScanScript = """
        local members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
        local out = {}
        for _, m in ipairs(members) do
          local r = redis.call('HMGET', ARGV[4] .. m, 'v', 'e')
          if r[2] then
            out[#out + 1] = m
            out[#out + 1] = r[1]
            out[#out + 1] = r[2]
          end
        end
        return out
        """;

    private static readonly RedisValue[] ValueAndETag = ["v", "e"];

    private readonly RedisKeys keys = connection.Keys;

    /// <summary>Opens a store that owns its own connection (tools and tests).</summary>
    public static RedisStateStore Open(RedisOptions options) => new(new RedisConnection(options), ownsConnection: true);

    /// <inheritdoc />
    public async ValueTask<StateItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        var database = await connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var fields = await database.HashGetAsync(keys.Data(key), ValueAndETag).WaitAsync(cancellationToken).ConfigureAwait(false);
        return ToItem(key, fields);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StateItem>> GetBulkAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        foreach (var key in keys)
        {
            CheckKey(key);
        }

        var database = await connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        // One pipelined batch: a single round trip however many keys.
        var batch = database.CreateBatch();
        var reads = keys.Select(k => batch.HashGetAsync(this.keys.Data(k), ValueAndETag)).ToList();
        batch.Execute();
        var results = await Task.WhenAll(reads).WaitAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<StateItem>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            if (ToItem(keys[i], results[i]) is { } item)
            {
                items.Add(item);
            }
        }

        return items;
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
        if (operations.Count == 0)
        {
            return [];
        }

        var scriptKeys = new RedisKey[operations.Count + 2];
        var args = new RedisValue[operations.Count * 5];
        scriptKeys[0] = keys.Index;
        scriptKeys[1] = keys.ETagCounter;
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            CheckKey(operation.Key);
            scriptKeys[i + 2] = keys.Data(operation.Key);
            var b = i * 5;
            args[b] = operation is UpsertOperation ? "u" : "d";
            args[b + 1] = operation.ExpectedETag switch
            {
                null => "n",
                ETag.Absent => "a",
                _ => "e",
            };
            args[b + 2] = operation.ExpectedETag is null or ETag.Absent ? RedisValue.EmptyString : operation.ExpectedETag;
            args[b + 3] = operation is UpsertOperation upsert ? upsert.Value : RedisValue.EmptyString;
            args[b + 4] = operation.Key;
        }

        using var activity = RedisTelemetry.ActivitySource.StartActivity("state transact", ActivityKind.Client);
        activity?.SetTag("db.system.name", "redis");
        activity?.SetTag("mesh.state.operations", operations.Count);
        var database = await connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(TransactScript, scriptKeys, args).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        if ((long)result[0] == 0)
        {
            RedisTelemetry.ETagMismatches.Add(1);
            throw new ETagMismatchException(operations[(int)(long)result[1] - 1].Key);
        }

        var etags = new string[operations.Count];
        for (var i = 0; i < etags.Length; i++)
        {
            etags[i] = (string?)result[i + 1] ?? string.Empty;
        }

        return etags;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StateItem>> ScanAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var prefixBytes = Encoding.UTF8.GetBytes(prefix);
        // ZRANGEBYLEX compares bytes (memcmp); on UTF-8 that is code point order, which equals the ordinal
        // order of the strings except between supplementary characters and U+E000..U+FFFF.
        var min = afterKey is not null && Encoding.UTF8.GetBytes(afterKey).AsSpan().SequenceCompareTo(prefixBytes) >= 0
            ? Bound((byte)'(', Encoding.UTF8.GetBytes(afterKey), [])
            : Bound((byte)'[', prefixBytes, []);
        // 0xFF never occurs in UTF-8, so prefix + 0xFF is above every key that starts with the prefix.
        var max = Bound((byte)'(', prefixBytes, [0xFF]);
        var database = await connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(ScanScript, [keys.Index], [min, max, limit, keys.DataPrefix]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        var items = new List<StateItem>(result.Length / 3);
        for (var i = 0; i + 2 < result.Length; i += 3)
        {
            items.Add(new StateItem((string)result[i]!, (byte[])result[i + 1]! ?? [], (string)result[i + 2]!));
        }

        return items;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (ownsConnection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static byte[] Bound(byte kind, byte[] body, byte[] suffix)
    {
        var bound = new byte[1 + body.Length + suffix.Length];
        bound[0] = kind;
        body.CopyTo(bound, 1);
        suffix.CopyTo(bound, 1 + body.Length);
        return bound;
    }

    private static StateItem? ToItem(string key, RedisValue[] fields) =>
        fields[1].IsNull ? null : new StateItem(key, (byte[]?)fields[0] ?? [], (string)fields[1]!);

    private static void CheckKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            throw new ArgumentException($"State keys are at most {MaxKeyBytes} UTF-8 bytes.", nameof(key));
        }
    }
}
