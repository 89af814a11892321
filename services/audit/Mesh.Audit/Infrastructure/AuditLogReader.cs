using System.Text;
using Mesh.Audit.Domain;
using Mesh.Errors;
using Mesh.State;
using Microsoft.Extensions.Options;

namespace Mesh.Audit.Infrastructure;

public sealed record SignedCheckpoint(string Note, Checkpoint Checkpoint);

public sealed record InclusionProof(long LeafIndex, long TreeSize, IReadOnlyList<byte[]> Hashes);

public sealed record ConsistencyProof(long Size1, long Size2, IReadOnlyList<byte[]> Hashes);

/// <summary>One stored entry: its leaf index and canonical bytes.</summary>
public sealed record LogEntry(long Index, byte[] Data)
{
    public AuditEvent Event => AuditEventCodec.Decode(Data);

    public byte[] LeafHash => MerkleHasher.HashLeaf(Data);
}

/// <summary>Criteria of an event query; at least one of them must be given. Time range is [From, To).</summary>
public sealed record AuditQuery
{
    public string? DocumentId { get; init; }

    public string? Agency { get; init; }

    public string? Type { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }
}

public sealed record AuditQueryPage(IReadOnlyList<LogEntry> Entries, string? NextPageToken);

/// <summary>Reads the log from the store: checkpoints, proofs, entries, queries and statistics.</summary>
public sealed class AuditLogReader
{
    public const int MaxEntriesPerCall = 1000;
    public const int MaxStatisticsDays = 1100;

    // A reader racing a sequencer may find a partial tile replaced; re-reading the size settles it.
    private const int Attempts = 4;

    private readonly IStateStore _store;
    private readonly AuditKeys _keys;
    private readonly TileNodeSource _tiles;

    public AuditLogReader(IStateStore store, IOptions<AuditOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _keys = new AuditKeys(options.Value.KeyPrefix);
        _tiles = new TileNodeSource(store, _keys, options.Value.TileCacheSize);
    }

    public async Task<SignedCheckpoint?> GetCheckpointAsync(CancellationToken cancellationToken = default)
    {
        var item = await _store.GetAsync(_keys.Checkpoint, cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return null;
        }

        var note = Encoding.UTF8.GetString(item.Value.Span);
        return new SignedCheckpoint(note, Checkpoint.Parse(SignedNote.Parse(note).Text));
    }

    /// <summary>The number of integrated entries.</summary>
    public async Task<long> GetSizeAsync(CancellationToken cancellationToken = default)
    {
        var item = await _store.GetAsync(_keys.State, cancellationToken).ConfigureAwait(false);
        return item is null ? 0 : TreeStateCodec.Decode(item.Value.Span).Size;
    }

    public Task<InclusionProof> GetInclusionProofAsync(long leafIndex, long treeSize, CancellationToken cancellationToken = default) =>
        WithStoredSizeAsync(treeSize, async (size, ct) =>
        {
            if (leafIndex < 0 || leafIndex >= treeSize)
            {
                throw MeshException.Invalid("AUDIT_LEAF_INDEX_OUT_OF_RANGE", "leaf_index", $"must be below the tree size {treeSize}");
            }

            var proof = await MerkleProofs.InclusionAsync(_tiles.At(size), leafIndex, treeSize, ct).ConfigureAwait(false);
            return new InclusionProof(leafIndex, treeSize, proof);
        }, cancellationToken);

    /// <summary>Inclusion by leaf hash: the first index whose leaf has this hash, found through the leaf-hash index.</summary>
    public async Task<InclusionProof> GetInclusionProofByLeafHashAsync(byte[] leafHash, long treeSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != MerkleHasher.HashSize)
        {
            throw MeshException.Invalid("AUDIT_LEAF_HASH_INVALID", "leaf_hash", "must be 32 bytes");
        }

        var found = await _store.ScanAsync(_keys.ByLeafHashPrefix(leafHash), null, 1, cancellationToken).ConfigureAwait(false);
        if (found.Count == 0 || AuditKeys.IndexFromKey(found[0].Key) >= treeSize)
        {
            throw MeshException.NotFound("AUDIT_LEAF_NOT_FOUND", "leaf", Convert.ToHexStringLower(leafHash));
        }

        return await GetInclusionProofAsync(AuditKeys.IndexFromKey(found[0].Key), treeSize, cancellationToken).ConfigureAwait(false);
    }

    public Task<ConsistencyProof> GetConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken = default) =>
        WithStoredSizeAsync(size2, async (size, ct) =>
        {
            if (size1 <= 0 || size1 > size2)
            {
                throw MeshException.Invalid("AUDIT_TREE_SIZE_INVALID", "first_tree_size", $"must be between 1 and {size2}");
            }

            var proof = await MerkleProofs.ConsistencyAsync(_tiles.At(size), size1, size2, ct).ConfigureAwait(false);
            return new ConsistencyProof(size1, size2, proof);
        }, cancellationToken);

    /// <summary>The root of the stored tree at any size up to the current one, from the tiles.</summary>
    public Task<byte[]> GetRootAsync(long treeSize, CancellationToken cancellationToken = default) =>
        WithStoredSizeAsync(treeSize, (size, ct) => MerkleProofs.RootAsync(_tiles.At(size), treeSize, ct).AsTask(), cancellationToken);

    /// <summary>Entries [start, start + count), at most <see cref="MaxEntriesPerCall"/>, clipped to the log size.</summary>
    public Task<IReadOnlyList<LogEntry>> GetEntriesAsync(long start, int count, CancellationToken cancellationToken = default)
    {
        if (start < 0 || count is < 1 or > MaxEntriesPerCall)
        {
            throw MeshException.Invalid("AUDIT_RANGE_INVALID", "count", $"start ≥ 0 and 1 to {MaxEntriesPerCall} entries");
        }

        return WithStoredSizeAsync<IReadOnlyList<LogEntry>>(0, async (size, ct) =>
        {
            var end = Math.Min(size, start + count);
            return await ReadEntriesAsync(LongRange(start, end), size, ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public async Task<AuditQueryPage> QueryAsync(AuditQuery query, int pageSize, string? pageToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (pageSize is < 1 or > MaxEntriesPerCall)
        {
            throw MeshException.Invalid("AUDIT_PAGE_SIZE_INVALID", "page_size", $"1 to {MaxEntriesPerCall}");
        }

        var (prefix, start, stopAfter) = ChooseIndex(query);
        var afterKey = pageToken is null ? start : DecodeToken(pageToken, prefix);
        var results = new List<LogEntry>();
        var scanBudget = pageSize * 10;
        while (true)
        {
            var keys = await _store.ScanAsync(prefix, afterKey, Math.Min(pageSize, MaxEntriesPerCall), cancellationToken).ConfigureAwait(false);
            var inRange = keys.TakeWhile(k => stopAfter is null || string.CompareOrdinal(k.Key, stopAfter) <= 0).ToList();
            if (inRange.Count > 0)
            {
                var size = await GetSizeAsync(cancellationToken).ConfigureAwait(false);
                var entries = await ReadEntriesAsync(inRange.Select(k => AuditKeys.IndexFromKey(k.Key)), size, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < entries.Count; i++)
                {
                    afterKey = inRange[i].Key;
                    if (Matches(entries[i].Event, query))
                    {
                        results.Add(entries[i]);
                        if (results.Count == pageSize)
                        {
                            return new AuditQueryPage(results, EncodeToken(afterKey));
                        }
                    }
                }
            }

            scanBudget -= keys.Count;
            if (inRange.Count < keys.Count || keys.Count < Math.Min(pageSize, MaxEntriesPerCall))
            {
                return new AuditQueryPage(results, null);
            }

            if (scanBudget <= 0)
            {
                return new AuditQueryPage(results, EncodeToken(afterKey!));
            }
        }
    }

    /// <summary>Counters per agency and Hanoi day (or month) in [from, to], both days included.</summary>
    public async Task<AuditStatisticsReport> GetStatisticsAsync(string? organId, DateOnly from, DateOnly to, bool monthly = false, CancellationToken cancellationToken = default)
    {
        if (to < from || to.DayNumber - from.DayNumber >= MaxStatisticsDays)
        {
            throw MeshException.Invalid("AUDIT_PERIOD_INVALID", "period", $"from ≤ to, at most {MaxStatisticsDays} days");
        }

        var days = Enumerable.Range(0, to.DayNumber - from.DayNumber + 1).Select(from.AddDays).ToList();
        var rows = new List<AgencyStatisticsRow>();
        if (organId is not null)
        {
            var items = await _store.GetBulkAsync([.. days.Select(d => _keys.Stats(d, organId))], cancellationToken).ConfigureAwait(false);
            var byKey = items.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);
            foreach (var day in days)
            {
                if (byKey.TryGetValue(_keys.Stats(day, organId), out var value))
                {
                    rows.Add(new AgencyStatisticsRow(organId, day, StatisticsCodec.Decode(value.Span)));
                }
            }
        }
        else
        {
            foreach (var day in days)
            {
                var prefix = _keys.StatsPrefix(day);
                await foreach (var item in ScanAllAsync(prefix, cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(new AgencyStatisticsRow(AuditKeys.Unescape(item.Key[prefix.Length..]), day, StatisticsCodec.Decode(item.Value.Span)));
                }
            }
        }

        var totals = new AgencyDayStatistics();
        foreach (var row in rows)
        {
            totals.Add(row.Counters);
        }

        var exchanged = rows.Where(r => r.Counters.Sent + r.Counters.Received > 0).Select(r => r.OrganId).Distinct(StringComparer.Ordinal).Count();
        if (monthly)
        {
            rows = [.. rows
                .GroupBy(r => (r.OrganId, Month: new DateOnly(r.Day.Year, r.Day.Month, 1)))
                .Select(g =>
                {
                    var sum = new AgencyDayStatistics();
                    foreach (var r in g)
                    {
                        sum.Add(r.Counters);
                    }

                    return new AgencyStatisticsRow(g.Key.OrganId, g.Key.Month, sum);
                })
                .OrderBy(r => r.Day)
                .ThenBy(r => r.OrganId, StringComparer.Ordinal)];
        }

        var seen = 0;
        var last = AuditKeys.Day(to);
        await foreach (var agency in ScanAllAsync(_keys.AgenciesPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (string.CompareOrdinal(Encoding.UTF8.GetString(agency.Value.Span), last) <= 0)
            {
                seen++;
            }
        }

        return new AuditStatisticsReport(from, to, rows, totals, exchanged, seen);
    }

    private async IAsyncEnumerable<StateItem> ScanAllAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            var page = await _store.ScanAsync(prefix, after, MaxEntriesPerCall, cancellationToken).ConfigureAwait(false);
            foreach (var item in page)
            {
                yield return item;
            }

            if (page.Count < MaxEntriesPerCall)
            {
                yield break;
            }

            after = page[^1].Key;
        }
    }

    private (string Prefix, string? Start, string? StopAfter) ChooseIndex(AuditQuery query)
    {
        if (!string.IsNullOrEmpty(query.DocumentId))
        {
            return (_keys.ByDocumentPrefix(query.DocumentId), null, null);
        }

        if (!string.IsNullOrEmpty(query.Agency))
        {
            return (_keys.ByAgencyPrefix(query.Agency), null, null);
        }

        if (!string.IsNullOrEmpty(query.Type))
        {
            return (_keys.ByTypePrefix(query.Type), null, null);
        }

        if (query.From is not null || query.To is not null)
        {
            // "idx/day/2026-11-30" sorts just before every key of that day; '~' after all of them.
            var start = query.From is { } from ? _keys.ByDayRoot + AuditKeys.Day(HanoiDay(from)) : null;
            var stop = query.To is { } to ? _keys.ByDayPrefix(HanoiDay(to)) + "~" : null;
            return (_keys.ByDayRoot, start, stop);
        }

        throw MeshException.Invalid("AUDIT_QUERY_EMPTY", "query", "give a document id, an agency, a type or a time range");
    }

    private static DateOnly HanoiDay(DateTimeOffset time) => DateOnly.FromDateTime(time.ToOffset(AuditEvent.StatisticsOffset).DateTime);

    private static bool Matches(AuditEvent e, AuditQuery q) =>
        (string.IsNullOrEmpty(q.DocumentId) || e.DocumentId == q.DocumentId)
        && (string.IsNullOrEmpty(q.Agency) || e.Agencies.Contains(q.Agency, StringComparer.Ordinal))
        && (string.IsNullOrEmpty(q.Type) || e.Type == q.Type)
        && (q.From is null || e.Time >= q.From)
        && (q.To is null || e.Time < q.To);

    private static string EncodeToken(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    private static string DecodeToken(string token, string prefix)
    {
        try
        {
            var key = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return key;
            }
        }
        catch (FormatException)
        {
        }

        throw MeshException.Invalid("AUDIT_PAGE_TOKEN_INVALID", "page_token", "not a token from this query");
    }

    private async Task<List<LogEntry>> ReadEntriesAsync(IEnumerable<long> indexes, long size, CancellationToken cancellationToken)
    {
        var wanted = indexes.ToList();
        var bundleKeys = wanted.Select(i => i / TileLayout.TileWidth).Distinct()
            .ToDictionary(n => n, n => _keys.Entries(n, TileLayout.Width(size, n)));
        var items = await _store.GetBulkAsync([.. bundleKeys.Values], cancellationToken).ConfigureAwait(false);
        var bundles = items.ToDictionary(i => i.Key, i => TileLayout.DecodeBundle(i.Value.Span), StringComparer.Ordinal);
        var result = new List<LogEntry>(wanted.Count);
        foreach (var index in wanted)
        {
            var key = bundleKeys[index / TileLayout.TileWidth];
            if (!bundles.TryGetValue(key, out var bundle))
            {
                throw new TileMissingException(key);
            }

            var offset = (int)(index % TileLayout.TileWidth);
            if (offset >= bundle.Count)
            {
                throw new MeshException(ErrorKind.DataLoss, "AUDIT_ENTRY_MISSING", $"Entry {index} is missing from '{key}'.");
            }

            result.Add(new LogEntry(index, bundle[offset]));
        }

        return result;
    }

    private async Task<T> WithStoredSizeAsync<T>(long atLeast, Func<long, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var size = await GetSizeAsync(cancellationToken).ConfigureAwait(false);
            if (atLeast > size)
            {
                throw MeshException.Invalid("AUDIT_TREE_SIZE_UNKNOWN", "tree_size", $"the log has {size} entries");
            }

            try
            {
                return await read(size, cancellationToken).ConfigureAwait(false);
            }
            catch (TileMissingException) when (attempt < Attempts)
            {
            }
        }
    }

    private static IEnumerable<long> LongRange(long start, long end)
    {
        for (var i = start; i < end; i++)
        {
            yield return i;
        }
    }
}
