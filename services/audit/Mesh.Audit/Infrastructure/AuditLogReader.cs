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

    // Postings read per scan: each holds one batch's entries for one term.
    private const int PostingsPerScan = 64;

    private readonly IStateStore _store;
    private readonly AuditKeys _keys;
    private readonly TileStore _tileStore;
    private readonly TileNodeSource _tiles;
    private readonly AuditSequencer? _sequencer;

    /// <param name="store">The store the log lives in.</param>
    /// <param name="options">Audit options (key prefix, tile cache size).</param>
    /// <param name="sequencer">The sequencer of this process, if any: proofs then take the tree size it last committed instead of reading it.</param>
    public AuditLogReader(IStateStore store, IOptions<AuditOptions> options, AuditSequencer? sequencer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _keys = new AuditKeys(options.Value.KeyPrefix);
        _tileStore = new TileStore(store, _keys);
        _tiles = new TileNodeSource(_tileStore, options.Value.TileCacheSize);
        _sequencer = sequencer;
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

    /// <summary>Inclusion by leaf hash: the first index whose leaf has this hash, found through the leaf-hash buckets.</summary>
    public async Task<InclusionProof> GetInclusionProofByLeafHashAsync(byte[] leafHash, long treeSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != MerkleHasher.HashSize)
        {
            throw MeshException.Invalid("AUDIT_LEAF_HASH_INVALID", "leaf_hash", "must be 32 bytes");
        }

        var tag = Postings.LeafTag(leafHash);
        await foreach (var posting in ScanAllAsync(_keys.ByLeafHashBucket(leafHash), cancellationToken).ConfigureAwait(false))
        {
            var candidates = Postings.Decode(posting.Value.Span, tag).Where(i => i < treeSize).ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            // A tag is 8 bytes of the hash: the entry itself settles it.
            var size = await GetSizeAsync(cancellationToken).ConfigureAwait(false);
            foreach (var entry in await ReadEntriesAsync(candidates, size, cancellationToken).ConfigureAwait(false))
            {
                if (entry.LeafHash.AsSpan().SequenceEqual(leafHash))
                {
                    return await GetInclusionProofAsync(entry.Index, treeSize, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        throw MeshException.NotFound("AUDIT_LEAF_NOT_FOUND", "leaf", Convert.ToHexStringLower(leafHash));
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

    /// <summary>
    /// Events matching every given criterion, in log order within the chosen index (for a time
    /// range: by day, then log order). The page token is "&lt;posting prefix&gt;&lt;last leaf index
    /// examined&gt;": postings are named by their last index, so the scan resumes just there.
    /// </summary>
    public async Task<AuditQueryPage> QueryAsync(AuditQuery query, int pageSize, string? pageToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (pageSize is < 1 or > MaxEntriesPerCall)
        {
            throw MeshException.Invalid("AUDIT_PAGE_SIZE_INVALID", "page_size", $"1 to {MaxEntriesPerCall}");
        }

        var index = ChooseIndex(query);
        var resume = pageToken is null ? null : DecodeToken(pageToken, index.Prefix);
        var afterKey = resume?.Key ?? index.Start;
        var results = new List<LogEntry>();
        var scanBudget = pageSize * 10;
        while (true)
        {
            var postings = await _store.ScanAsync(index.Prefix, afterKey, PostingsPerScan, cancellationToken).ConfigureAwait(false);
            var ended = postings.Count < PostingsPerScan;
            var candidates = new List<(string PostingPrefix, long Index)>();
            foreach (var posting in postings)
            {
                if (index.StopAfter is not null && string.CompareOrdinal(posting.Key, index.StopAfter) > 0)
                {
                    ended = true;
                    break;
                }

                var postingPrefix = posting.Key[..(posting.Key.LastIndexOf('/') + 1)];
                foreach (var i in Postings.Decode(posting.Value.Span, index.Tag))
                {
                    // Only the posting the token points into can hold entries already returned.
                    if (resume is null || postingPrefix != resume.PostingPrefix || i > resume.Index)
                    {
                        candidates.Add((postingPrefix, i));
                    }
                }

                afterKey = posting.Key;
            }

            // Read after the scan: postings and the tree state are written together, so every index seen is below it.
            var size = await GetSizeAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in candidates.Chunk(MaxEntriesPerCall))
            {
                var entries = await ReadEntriesAsync(chunk.Select(c => c.Index), size, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < entries.Count; i++)
                {
                    var token = chunk[i].PostingPrefix + AuditKeys.Index(chunk[i].Index);
                    if (Matches(entries[i].Event, query))
                    {
                        results.Add(entries[i]);
                        if (results.Count == pageSize)
                        {
                            return new AuditQueryPage(results, EncodeToken(token));
                        }
                    }

                    if (--scanBudget <= 0)
                    {
                        return new AuditQueryPage(results, EncodeToken(token));
                    }
                }
            }

            if (ended)
            {
                return new AuditQueryPage(results, null);
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

    private sealed record IndexScan(string Prefix, string? Start, string? StopAfter, ulong? Tag);

    private sealed record ResumePoint(string Key, string PostingPrefix, long Index);

    private IndexScan ChooseIndex(AuditQuery query)
    {
        if (!string.IsNullOrEmpty(query.DocumentId))
        {
            var hash = Postings.DocumentHash(query.DocumentId);
            return new IndexScan(_keys.ByDocumentBucket(hash), null, null, Postings.Tag(hash));
        }

        if (!string.IsNullOrEmpty(query.Agency))
        {
            return new IndexScan(_keys.ByAgencyPrefix(query.Agency), null, null, null);
        }

        if (!string.IsNullOrEmpty(query.Type))
        {
            return new IndexScan(_keys.ByTypePrefix(query.Type), null, null, null);
        }

        if (query.From is not null || query.To is not null)
        {
            // "idx/day/2026-11-30" sorts just before every key of that day; '~' after all of them.
            var start = query.From is { } from ? _keys.ByDayRoot + AuditKeys.Day(HanoiDay(from)) : null;
            var stop = query.To is { } to ? _keys.ByDayPrefix(HanoiDay(to)) + "~" : null;
            return new IndexScan(_keys.ByDayRoot, start, stop, null);
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

    private static ResumePoint DecodeToken(string token, string prefix)
    {
        try
        {
            var key = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var slash = key.LastIndexOf('/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && slash >= prefix.Length - 1
                && long.TryParse(key.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            {
                return new ResumePoint(key, key[..(slash + 1)], index);
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
        var bundleIds = wanted.Select(i => i / TileLayout.TileWidth).Distinct()
            .ToDictionary(n => n, n => new TileId(TileId.EntriesLevel, n, TileLayout.Width(size, n)));
        var bundleKeys = bundleIds.ToDictionary(p => p.Key, p => _tileStore.Name(p.Value));
        var items = await _tileStore.ReadAsync(bundleIds.Values, cancellationToken).ConfigureAwait(false);
        var bundles = items.ToDictionary(i => i.Key, i => TileLayout.DecodeBundle(i.Value), StringComparer.Ordinal);
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
            // The local sequencer's last commit is a stored size; only a request beyond it needs a read.
            var size = attempt == 1 && atLeast > 0 && _sequencer?.IntegratedSize is { } known && known >= atLeast
                ? known
                : await GetSizeAsync(cancellationToken).ConfigureAwait(false);
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
