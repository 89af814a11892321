using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Mesh.Audit.Domain;
using Mesh.Errors;
using Mesh.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Audit.Infrastructure;

/// <summary>Where an appended event landed, and the signed checkpoint that first includes it.</summary>
public sealed record AppendResult(long Index, byte[] LeafHash, long TreeSize, string SignedCheckpoint);

/// <summary>
/// Sequences appends in batches. Each batch — entry bundles, the hash tiles it touches (partial
/// ones as one appended piece each, see <see cref="TileStore"/>), index
/// keys, statistics, the signed checkpoint and the tree state — is one all-or-nothing
/// transaction guarded by the ETag of the tree-state key, so two sequencers on one store can
/// never fork the log: the slower one gets an ETag conflict, re-reads the tree and retries.
/// </summary>
public sealed class AuditSequencer : BackgroundService
{
    private readonly IStateStore _store;
    private readonly NoteSigner _signer;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditSequencer> _logger;
    private readonly AuditKeys _keys;
    private readonly TileStore _tiles;
    private readonly Channel<Pending> _channel;
    private SequencerState? _state;
    private long _conflicts;
    private long _integratedSize = -1;

    public AuditSequencer(IStateStore store, NoteSigner signer, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditSequencer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _signer = signer;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _keys = new AuditKeys(_options.KeyPrefix);
        _tiles = new TileStore(store, _keys);
        _channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_options.MaxPendingAppends)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Batches this sequencer had to redo because another one moved the tree first.</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    /// <summary>
    /// The size of the tree after this sequencer's last durable commit, or null before the first
    /// one. Sizes only grow, so it is a stored size even when another sequencer has moved on since.
    /// </summary>
    public long? IntegratedSize => Interlocked.Read(ref _integratedSize) is >= 0 and var size ? size : null;

    /// <summary>Longest idempotency key accepted by <see cref="AppendAsync(AuditEvent, string?, CancellationToken)"/>.</summary>
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>Appends one event; completes once it is durably integrated, with its leaf index.</summary>
    public Task<AppendResult> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
        AppendAsync(auditEvent, null, cancellationToken);

    /// <summary>
    /// Appends one event unless <paramref name="idempotencyKey"/> (optional) was used before: then the
    /// result names the event appended with that key and nothing is appended. The key is recorded in the
    /// same transaction as the entry, so a crash cannot separate them; keys of one batch are looked up
    /// with one bulk read, and appends without a key cost nothing extra.
    /// </summary>
    public async Task<AppendResult> AppendAsync(AuditEvent auditEvent, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        if (idempotencyKey is { Length: > MaxIdempotencyKeyLength })
        {
            throw MeshException.Invalid("IDEMPOTENCY_KEY_TOO_LONG", "idempotency_key", $"at most {MaxIdempotencyKeyLength} characters");
        }

        var entry = AuditEventCodec.Encode(auditEvent);

        // Hashing here spreads it over the callers' threads; the sequencer thread only assembles.
        var pending = new Pending(
            auditEvent,
            entry,
            MerkleHasher.HashLeaf(entry),
            auditEvent.DocumentId.Length > 0 ? Postings.DocumentHash(auditEvent.DocumentId) : null,
            new TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously))
        {
            IdempotencyKey = string.IsNullOrEmpty(idempotencyKey) ? null : _keys.Idempotency(idempotencyKey),
        };
        try
        {
            await _channel.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new MeshException(ErrorKind.Unavailable, "AUDIT_LOG_STOPPED", "The audit sequencer is stopping.", inner: ex);
        }

        // Once queued the entry may be integrated whatever the caller does, so only the wait is cancellable.
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Integrate what is already queued before stopping: callers were promised an answer.
        _channel.Writer.TryComplete();
        if (ExecuteTask is not null)
        {
            await Task.WhenAny(ExecuteTask, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _channel.Reader;
        var batch = new List<Pending>(_options.MaxBatchSize);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                batch.Clear();
                Drain(reader, batch);
                if (batch.Count < _options.MaxBatchSize && _options.BatchDelay > TimeSpan.Zero)
                {
                    await LingerAsync(reader, batch, stoppingToken).ConfigureAwait(false);
                }

                await IntegrateAsync(batch, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            foreach (var p in batch)
            {
                p.Completion.TrySetCanceled(stoppingToken);
            }
        }
        finally
        {
            while (reader.TryRead(out var left))
            {
                left.Completion.TrySetException(new MeshException(ErrorKind.Unavailable, "AUDIT_LOG_STOPPED", "The audit sequencer stopped before integrating this entry."));
            }
        }
    }

    private void Drain(ChannelReader<Pending> reader, List<Pending> batch)
    {
        while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
        {
            batch.Add(item);
        }
    }

    private async Task LingerAsync(ChannelReader<Pending> reader, List<Pending> batch, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(_options.BatchDelay, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
        try
        {
            while (batch.Count < _options.MaxBatchSize && await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
            {
                Drain(reader, batch);
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The batch delay elapsed: integrate what we have.
        }
    }

    private async Task IntegrateAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        using var activity = AuditTelemetry.ActivitySource.StartActivity("audit.integrate");
        activity?.SetTag("mesh.audit.batch.size", batch.Count);
        var started = _time.GetTimestamp();
        for (var attempt = 1; attempt <= _options.MaxCommitAttempts; attempt++)
        {
            try
            {
                _state ??= await LoadStateAsync(cancellationToken).ConfigureAwait(false);
                var (fresh, repeats) = await SplitRepeatsAsync(batch, cancellationToken).ConfigureAwait(false);
                if (fresh.Count == 0)
                {
                    await CompleteRepeatsAsync(repeats, [], null, cancellationToken).ConfigureAwait(false);
                    return;
                }

                var plan = await PlanAsync(_state, fresh, cancellationToken).ConfigureAwait(false);
                var etags = await _store.TransactAsync(plan.Operations, cancellationToken).ConfigureAwait(false);
                _state = plan.NextState with { ETag = etags[^1] };
                Interlocked.Exchange(ref _integratedSize, Math.Max(_state.Range.Size, Interlocked.Read(ref _integratedSize)));
                foreach (var name in plan.NewAgencies)
                {
                    _state.KnownAgencies.Add(name);
                }

                var results = new Dictionary<Pending, AppendResult>(fresh.Count, ReferenceEqualityComparer.Instance);
                for (var i = 0; i < fresh.Count; i++)
                {
                    var result = new AppendResult(plan.FirstIndex + i, plan.LeafHashes[i], _state.Range.Size, plan.SignedCheckpoint);
                    results[fresh[i]] = result;
                    fresh[i].Completion.TrySetResult(result);
                }

                await CompleteRepeatsAsync(repeats, results, plan.SignedCheckpoint, cancellationToken).ConfigureAwait(false);
                AuditTelemetry.Appends.Add(fresh.Count);
                AuditTelemetry.BatchSize.Record(batch.Count);
                AuditTelemetry.BatchDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds);
                return;
            }
            catch (ETagMismatchException)
            {
                Interlocked.Increment(ref _conflicts);
                AuditTelemetry.CommitConflicts.Add(1);
                _logger.CommitConflict(attempt);
                _state = null;

                // Two sequencers that retry at once collide again: back off a random, growing while
                // (wall-clock, not the TimeProvider, which a test may have frozen).
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 2 << Math.Min(attempt, 6))), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                _state = null;
                throw;
            }
            catch (Exception ex)
            {
                // The outcome of a failed transaction is re-read from the store, never assumed.
                _state = null;
                _logger.BatchFailed(ex, batch.Count);
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                foreach (var p in batch)
                {
                    p.Completion.TrySetException(ex);
                }

                return;
            }
        }

        var contended = new MeshException(ErrorKind.Aborted, "AUDIT_LOG_CONTENDED", "Another sequencer kept moving the audit tree; retry.");
        foreach (var p in batch)
        {
            p.Completion.TrySetException(contended);
        }
    }

    private async Task<SequencerState> LoadStateAsync(CancellationToken cancellationToken)
    {
        // The tree state and its partial tiles are two reads: another sequencer may commit in
        // between and replace the partial tiles the state named. Missing tiles are data loss only
        // if the state is still the one that named them.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryLoadStateAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (MeshException e) when (e.Reason == "AUDIT_TILE_MISSING" && attempt < 10)
            {
                if (!await StateMovedAsync(e, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }
            }
        }
    }

    private async Task<bool> StateMovedAsync(MeshException missing, CancellationToken cancellationToken)
    {
        var current = await _store.GetAsync(_keys.State, cancellationToken).ConfigureAwait(false);
        return current is not null && (!missing.Metadata.TryGetValue("state_etag", out var named) || !string.Equals(current.ETag, named, StringComparison.Ordinal));
    }

    private async Task<SequencerState> TryLoadStateAsync(CancellationToken cancellationToken)
    {
        var item = await _store.GetAsync(_keys.State, cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return new SequencerState(new CompactRange(), null, [], new HashSet<string>(StringComparer.Ordinal));
        }

        var range = TreeStateCodec.Decode(item.Value.Span);
        var size = range.Size;
        var tails = new Dictionary<int, TileStore.Tail>();
        var partials = new List<(int Level, long Count)> { (TileId.EntriesLevel, size) };
        for (var level = 0; TileLayout.LevelCount(size, level) > 0; level++)
        {
            partials.Add((level, TileLayout.LevelCount(size, level)));
        }

        foreach (var (level, count) in partials)
        {
            var width = (int)(count % TileLayout.TileWidth);
            if (width == 0)
            {
                continue;
            }

            var n = count / TileLayout.TileWidth;
            var pieces = await _tiles.ReadPiecesAsync(level, n, width, cancellationToken).ConfigureAwait(false);

            // Pieces beyond the width are another sequencer's newer commit: re-read the state.
            if (pieces is null || pieces[^1].End != width)
            {
                throw new MeshException(ErrorKind.DataLoss, "AUDIT_TILE_MISSING", $"The audit log of size {size} has no '{_tiles.Name(new TileId(level, n, width))}'.")
                {
                    Metadata = { ["state_etag"] = item.ETag },
                };
            }

            tails[level] = TileStore.ToTail(level, pieces);
        }

        _logger.Resumed(_options.Origin, size);
        Interlocked.Exchange(ref _integratedSize, Math.Max(size, Interlocked.Read(ref _integratedSize)));
        return new SequencerState(range, item.ETag, tails, new HashSet<string>(StringComparer.Ordinal));
    }

    private async Task<BatchPlan> PlanAsync(SequencerState state, List<Pending> batch, CancellationToken cancellationToken)
    {
        var range = state.Range.Clone();
        var firstIndex = range.Size;
        var levelAppends = new Dictionary<int, List<byte[]>> { [0] = new(batch.Count) };
        var leafHashes = new byte[batch.Count][];
        for (var i = 0; i < batch.Count; i++)
        {
            var leaf = batch[i].LeafHash;
            leafHashes[i] = leaf;
            levelAppends[0].Add(leaf);
            range.Append(leaf, (node, hash) =>
            {
                if (node.Level % TileLayout.TileHeight == 0)
                {
                    var tileLevel = node.Level / TileLayout.TileHeight;
                    if (!levelAppends.TryGetValue(tileLevel, out var list))
                    {
                        levelAppends[tileLevel] = list = [];
                    }

                    list.Add(hash);
                }
            });
        }

        var operations = new List<StateOperation>(1024);
        var nextTails = new Dictionary<int, TileStore.Tail>(state.Tails);
        nextTails[TileId.EntriesLevel] = _tiles.PlanAppend(TileId.EntriesLevel, state.Tail(TileId.EntriesLevel), [.. batch.Select(p => p.Entry)], firstIndex, operations);
        foreach (var (level, appended) in levelAppends)
        {
            nextTails[level] = _tiles.PlanAppend(level, state.Tail(level), appended, TileLayout.LevelCount(firstIndex, level), operations);
        }

        PlanIndexes(batch, firstIndex, operations);
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].IdempotencyKey is { } idempotencyKey)
            {
                // Guarded by the tree-state ETag like the rest of the batch: a sequencer that lost the race re-reads it.
                operations.Add(StateOperation.Upsert(idempotencyKey, EncodeAppended(firstIndex + i, leafHashes[i])));
            }
        }

        var newAgencies = await PlanStatisticsAsync(state, batch, operations, cancellationToken).ConfigureAwait(false);

        var text = new Checkpoint(_options.Origin, range.Size, range.Root()).ToText();
        var signed = _signer.Sign(text).Format();
        var signedBytes = System.Text.Encoding.UTF8.GetBytes(signed);
        operations.Add(StateOperation.Upsert(_keys.CheckpointHistory(range.Size), signedBytes, ETag.Absent));
        operations.Add(StateOperation.Upsert(_keys.Checkpoint, signedBytes));
        operations.Add(StateOperation.Upsert(_keys.State, TreeStateCodec.Encode(range), state.ETag ?? ETag.Absent));

        var next = new SequencerState(range, null, nextTails, state.KnownAgencies);
        return new BatchPlan(operations, next, firstIndex, leafHashes, signed, newAgencies);
    }

    /// <summary>One posting per index term and batch (see <see cref="AuditKeys"/>), named by its last leaf index.</summary>
    private void PlanIndexes(List<Pending> batch, long firstIndex, List<StateOperation> operations)
    {
        var agencies = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        var types = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        var days = new Dictionary<DateOnly, List<long>>();
        var documents = new Dictionary<byte, List<(ulong, long)>>();
        var leaves = new Dictionary<byte, List<(ulong, long)>>();
        for (var i = 0; i < batch.Count; i++)
        {
            var (e, index) = (batch[i].Event, firstIndex + i);
            if (batch[i].DocumentHash is { } documentHash)
            {
                Add(documents, documentHash[0], (Postings.Tag(documentHash), index));
            }

            if (e.Actor.Length > 0)
            {
                Add(agencies, e.Actor, index);
            }

            foreach (var counterpart in e.Counterparts)
            {
                // Counterparts may repeat, or name the actor: each agency lists an entry once.
                if (counterpart != e.Actor && (!agencies.TryGetValue(counterpart, out var list) || list[^1] != index))
                {
                    Add(agencies, counterpart, index);
                }
            }

            Add(types, e.Type, index);
            Add(days, e.Day, index);
            Add(leaves, batch[i].LeafHash[0], (Postings.LeafTag(batch[i].LeafHash), index));
        }

        foreach (var (agency, indexes) in agencies)
        {
            operations.Add(StateOperation.Upsert(_keys.ByAgencyPrefix(agency) + AuditKeys.Index(indexes[^1]), Postings.Encode(indexes)));
        }

        foreach (var (type, indexes) in types)
        {
            operations.Add(StateOperation.Upsert(_keys.ByTypePrefix(type) + AuditKeys.Index(indexes[^1]), Postings.Encode(indexes)));
        }

        foreach (var (day, indexes) in days)
        {
            operations.Add(StateOperation.Upsert(_keys.ByDayPrefix(day) + AuditKeys.Index(indexes[^1]), Postings.Encode(indexes)));
        }

        foreach (var (bucket, postings) in documents)
        {
            operations.Add(StateOperation.Upsert(_keys.ByDocumentBucket([bucket]) + AuditKeys.Index(postings[^1].Item2), Postings.EncodeTagged(postings)));
        }

        foreach (var (bucket, postings) in leaves)
        {
            operations.Add(StateOperation.Upsert(_keys.ByLeafHashBucket([bucket]) + AuditKeys.Index(postings[^1].Item2), Postings.EncodeTagged(postings)));
        }

        static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> postings, TKey term, TValue item)
            where TKey : notnull
        {
            if (!postings.TryGetValue(term, out var list))
            {
                postings[term] = list = [];
            }

            list.Add(item);
        }
    }

    private async Task<List<string>> PlanStatisticsAsync(SequencerState state, List<Pending> batch, List<StateOperation> operations, CancellationToken cancellationToken)
    {
        var deltas = new Dictionary<string, AgencyDayStatistics>(StringComparer.Ordinal);
        var actors = new Dictionary<string, DateOnly>(StringComparer.Ordinal);
        foreach (var p in batch)
        {
            foreach (var (organ, apply) in AuditStatisticsRules.Contributions(p.Event))
            {
                var key = _keys.Stats(p.Event.Day, organ);
                if (!deltas.TryGetValue(key, out var delta))
                {
                    deltas[key] = delta = new AgencyDayStatistics();
                }

                apply(delta);
                if (!state.KnownAgencies.Contains(organ))
                {
                    actors.TryAdd(organ, p.Event.Day);
                }
            }
        }

        // The tree-state ETag guards these read-modify-writes too: every writer of these keys
        // moves the tree, so a stale read here ends in an ETag conflict and a retry.
        var agencyKeys = actors.Keys.Select(_keys.Agency).ToList();
        var existing = await _store.GetBulkAsync([.. deltas.Keys, .. agencyKeys], cancellationToken).ConfigureAwait(false);
        var stored = existing.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);
        foreach (var (key, delta) in deltas)
        {
            var total = stored.TryGetValue(key, out var value) ? StatisticsCodec.Decode(value.Span) : new AgencyDayStatistics();
            total.Add(delta);
            operations.Add(StateOperation.Upsert(key, StatisticsCodec.Encode(total)));
        }

        var newAgencies = new List<string>();
        foreach (var (actor, day) in actors)
        {
            if (!stored.ContainsKey(_keys.Agency(actor)))
            {
                operations.Add(StateOperation.Upsert(_keys.Agency(actor), System.Text.Encoding.UTF8.GetBytes(AuditKeys.Day(day))));
            }

            newAgencies.Add(actor);
        }

        return newAgencies;
    }

    /// <summary>
    /// Splits a batch into the appends to make and the repeats of an idempotency key: used by an entry
    /// already in the log (Earlier = its index and leaf hash) or by an append earlier in this batch (First).
    /// </summary>
    private async Task<(List<Pending> Fresh, List<Repeat> Repeats)> SplitRepeatsAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        if (!batch.Exists(static p => p.IdempotencyKey is not null))
        {
            return (batch, []);
        }

        var keys = batch.Where(p => p.IdempotencyKey is not null).Select(p => p.IdempotencyKey!).Distinct(StringComparer.Ordinal).ToList();
        var stored = (await _store.GetBulkAsync(keys, cancellationToken).ConfigureAwait(false))
            .ToDictionary(i => i.Key, i => DecodeAppended(i.Value.Span), StringComparer.Ordinal);
        var firstInBatch = new Dictionary<string, Pending>(StringComparer.Ordinal);
        var fresh = new List<Pending>(batch.Count);
        var repeats = new List<Repeat>();
        foreach (var p in batch)
        {
            if (p.IdempotencyKey is not { } key)
            {
                fresh.Add(p);
            }
            else if (stored.TryGetValue(key, out var earlier))
            {
                repeats.Add(new Repeat(p, earlier, null));
            }
            else if (firstInBatch.TryGetValue(key, out var first))
            {
                repeats.Add(new Repeat(p, null, first));
            }
            else
            {
                firstInBatch[key] = p;
                fresh.Add(p);
            }
        }

        return (fresh, repeats);
    }

    private async Task CompleteRepeatsAsync(List<Repeat> repeats, Dictionary<Pending, AppendResult> results, string? signedCheckpoint, CancellationToken cancellationToken)
    {
        if (repeats.Count == 0)
        {
            return;
        }

        if (signedCheckpoint is null)
        {
            var checkpoint = await _store.GetAsync(_keys.Checkpoint, cancellationToken).ConfigureAwait(false);
            signedCheckpoint = checkpoint is null ? "" : System.Text.Encoding.UTF8.GetString(checkpoint.Value.Span);
        }

        var size = _state?.Range.Size ?? 0;
        foreach (var repeat in repeats)
        {
            var result = repeat.Earlier is { } earlier
                ? new AppendResult(earlier.Index, earlier.LeafHash, size, signedCheckpoint)
                : results[repeat.First!];
            repeat.Pending.Completion.TrySetResult(result);
        }

        AuditTelemetry.IdempotentRepeats.Add(repeats.Count);
    }

    private static byte[] EncodeAppended(long index, byte[] leafHash)
    {
        var value = new byte[8 + leafHash.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(value, index);
        leafHash.CopyTo(value, 8);
        return value;
    }

    private static (long Index, byte[] LeafHash) DecodeAppended(ReadOnlySpan<byte> value) =>
        (System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(value), value[8..].ToArray());

    private sealed record Repeat(Pending Pending, (long Index, byte[] LeafHash)? Earlier, Pending? First);

    private sealed record Pending(AuditEvent Event, byte[] Entry, byte[] LeafHash, byte[]? DocumentHash, TaskCompletionSource<AppendResult> Completion)
    {
        /// <summary>The state key of the append's idempotency key, or null.</summary>
        public string? IdempotencyKey { get; init; }
    }

    /// <summary>The tree as this sequencer last committed it, with the partial tile of each level (entries: <see cref="TileId.EntriesLevel"/>).</summary>
    private sealed record SequencerState(
        CompactRange Range,
        string? ETag,
        Dictionary<int, TileStore.Tail> Tails,
        HashSet<string> KnownAgencies)
    {
        public TileStore.Tail Tail(int level) => Tails.GetValueOrDefault(level) ?? TileStore.Tail.Empty;
    }

    private sealed record BatchPlan(
        List<StateOperation> Operations,
        SequencerState NextState,
        long FirstIndex,
        byte[][] LeafHashes,
        string SignedCheckpoint,
        List<string> NewAgencies);
}

/// <summary>Statistics counters as stored values (JSON: readable by operators with any tool).</summary>
public static class StatisticsCodec
{
    // Populate keeps the ordinal comparer of the reasons dictionary when reading.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PreferredObjectCreationHandling = System.Text.Json.Serialization.JsonObjectCreationHandling.Populate,
    };

    public static byte[] Encode(AgencyDayStatistics statistics) => JsonSerializer.SerializeToUtf8Bytes(statistics, Json);

    public static AgencyDayStatistics Decode(ReadOnlySpan<byte> value) =>
        JsonSerializer.Deserialize<AgencyDayStatistics>(value, Json) ?? throw new FormatException("Empty statistics value.");
}
