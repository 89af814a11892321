using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mesh.Audit.Domain;
using Mesh.State;

namespace Mesh.Audit.Infrastructure;

/// <summary>One mismatch found by the verifier; <see cref="Index"/> is the first entry it puts in doubt.</summary>
public sealed record LogProblem(long Index, string Kind, string Detail);

public sealed record LogVerificationReport(long TreeSize, long EntriesChecked, int TilesChecked, int CheckpointsChecked, IReadOnlyList<LogProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;

    /// <summary>The first entry index that does not match, or null when everything matches.</summary>
    public long? FirstBadIndex => Problems.Count == 0 ? null : Problems.Min(p => p.Index);
}

/// <summary>
/// Recomputes the tree from the stored entries alone and compares it with every stored hash
/// tile, every stored checkpoint (signature, origin, root) and the tree state. Reads only the
/// store, so it runs offline on a copy of the data (issue 5, "Verifier").
/// </summary>
public sealed class LogVerifier(IStateStore store, string keyPrefix, string origin, NoteVerifier? logKey)
{
    private const int MaxProblems = 1000;
    private readonly AuditKeys _keys = new(keyPrefix);
    private readonly TileStore _tiles = new(store, new AuditKeys(keyPrefix));

    public async Task<LogVerificationReport> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var run = new Run();
        var stateItem = await store.GetAsync(_keys.State, cancellationToken).ConfigureAwait(false);
        var stateRange = stateItem is null ? new CompactRange() : TreeStateCodec.Decode(stateItem.Value.Span);
        var size = stateRange.Size;
        var checkpoints = await LoadCheckpointsAsync(run, cancellationToken).ConfigureAwait(false);
        var nextCheckpoint = 0;
        var confirmed = 0L;

        var range = new CompactRange();
        var upper = new Dictionary<int, List<byte[]>>();
        var entriesChecked = 0L;
        var bundles = (size + TileLayout.TileWidth - 1) / TileLayout.TileWidth;
        for (var n = 0L; n < bundles; n++)
        {
            var width = TileLayout.Width(size, n);
            var first = n * TileLayout.TileWidth;
            var bundleId = new TileId(TileId.EntriesLevel, n, width);
            var tileId = new TileId(0, n, width);
            var (bundleKey, tileKey) = (_tiles.Name(bundleId), _tiles.Name(tileId));
            var items = await _tiles.ReadAsync([bundleId, tileId], cancellationToken).ConfigureAwait(false);
            var tile = items.TryGetValue(tileKey, out var tileBytes) && tileBytes.Length == width * MerkleHasher.HashSize ? TileLayout.DecodeTile(tileBytes) : null;
            run.Tiles++;
            if (tile is null)
            {
                run.Add(first, "tile-missing", $"'{tileKey}' is missing or has the wrong length.");
            }

            List<byte[]>? entries = null;
            if (!items.TryGetValue(bundleKey, out var bundleBytes))
            {
                run.Add(first, "entry-bundle-missing", $"'{bundleKey}' is missing.");
            }
            else
            {
                try
                {
                    entries = TileLayout.DecodeBundle(bundleBytes);
                }
                catch (FormatException ex)
                {
                    run.Add(first, "entry-bundle-corrupt", ex.Message);
                }
            }

            if (entries is not null && entries.Count > width)
            {
                run.Add(first + width, "entry-bundle-too-long", $"'{bundleKey}' holds {entries.Count} entries, not {width}.");
            }

            for (var j = 0; j < width; j++)
            {
                var index = first + j;
                byte[] leaf;
                if (entries is not null && j < entries.Count)
                {
                    leaf = MerkleHasher.HashLeaf(entries[j]);
                    entriesChecked++;
                    CheckCanonical(run, index, entries[j]);
                    if (tile is not null && !CryptographicOperations.FixedTimeEquals(leaf, tile[j]))
                    {
                        run.Add(index, "leaf-hash-mismatch", $"Entry {index} does not hash to the stored level-0 tile.");
                    }
                }
                else
                {
                    if (entries is not null)
                    {
                        run.Add(index, "entry-missing", $"Entry {index} is missing from '{bundleKey}'.");
                    }

                    if (tile is null)
                    {
                        run.Add(index, "cannot-continue", "Neither the entry nor its leaf hash is stored; later entries cannot be checked.");
                        return run.Report(size, entriesChecked, checkpoints.Count);
                    }

                    // Keep going on the stored leaf hash so later tiles and checkpoints are still checked.
                    leaf = tile[j];
                }

                range.Append(leaf, (node, hash) =>
                {
                    if (node.Level % TileLayout.TileHeight == 0)
                    {
                        var level = node.Level / TileLayout.TileHeight;
                        if (!upper.TryGetValue(level, out var list))
                        {
                            upper[level] = list = [];
                        }

                        list.Add(hash);
                    }
                });

                while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].Size == range.Size)
                {
                    if (!CryptographicOperations.FixedTimeEquals(checkpoints[nextCheckpoint].RootHash, range.Root()))
                    {
                        run.Add(run.Narrow(confirmed, range.Size), "checkpoint-root-mismatch", $"The checkpoint at size {range.Size} does not match the entries.");
                    }

                    confirmed = range.Size;
                    nextCheckpoint++;
                }
            }

            await CheckUpperTilesAsync(run, upper, final: n == bundles - 1, cancellationToken).ConfigureAwait(false);
        }

        for (; nextCheckpoint < checkpoints.Count; nextCheckpoint++)
        {
            run.Add(Math.Min(checkpoints[nextCheckpoint].Size, size), "checkpoint-beyond-log", $"A checkpoint claims size {checkpoints[nextCheckpoint].Size} but the log has {size} entries.");
        }

        if (!CryptographicOperations.FixedTimeEquals(stateRange.Root(), range.Root()))
        {
            run.Add(run.Narrow(confirmed, size), "tree-state-mismatch", "The stored tree state does not match the entries.");
        }

        await CheckLatestCheckpointAsync(run, size, range, cancellationToken).ConfigureAwait(false);
        return run.Report(size, entriesChecked, checkpoints.Count);
    }

    private async Task CheckUpperTilesAsync(Run run, Dictionary<int, List<byte[]>> upper, bool final, CancellationToken cancellationToken)
    {
        foreach (var (level, hashes) in upper)
        {
            if (hashes.Count < TileLayout.TileWidth && !(final && hashes.Count > 0))
            {
                continue;
            }

            // The buffer holds the hashes of exactly one tile; which one follows from how many this level has seen.
            var tileIndex = run.UpperSeen(level) / TileLayout.TileWidth;
            var id = new TileId(level, tileIndex, hashes.Count);
            var key = _tiles.Name(id);
            var stored = (await _tiles.ReadAsync([id], cancellationToken).ConfigureAwait(false)).GetValueOrDefault(key);
            run.Tiles++;
            var firstLeaf = (tileIndex * TileLayout.TileWidth) << (TileLayout.TileHeight * level);
            if (stored is null || stored.Length != hashes.Count * MerkleHasher.HashSize)
            {
                run.Add(firstLeaf, "tile-missing", $"'{key}' is missing or has the wrong length.");
            }
            else
            {
                var storedHashes = TileLayout.DecodeTile(stored);
                for (var i = 0; i < hashes.Count; i++)
                {
                    if (!CryptographicOperations.FixedTimeEquals(storedHashes[i], hashes[i]))
                    {
                        var covered = firstLeaf + ((long)i << (TileLayout.TileHeight * level));
                        run.Add(run.Narrow(covered, covered + (1L << (TileLayout.TileHeight * level))), "tile-hash-mismatch", $"Hash {i} of '{key}' does not match the entries.");
                        break;
                    }
                }
            }

            run.AdvanceUpper(level, hashes.Count);
            hashes.Clear();
        }
    }

    private async Task<List<Checkpoint>> LoadCheckpointsAsync(Run run, CancellationToken cancellationToken)
    {
        var result = new List<Checkpoint>();
        string? after = null;
        var previous = 0L;
        while (true)
        {
            var page = await store.ScanAsync(_keys.CheckpointHistoryPrefix, after, 1000, cancellationToken).ConfigureAwait(false);
            foreach (var item in page)
            {
                var keySize = AuditKeys.IndexFromKey(item.Key);
                var checkpoint = OpenCheckpoint(run, previous, Encoding.UTF8.GetString(item.Value.Span));
                if (checkpoint is not null)
                {
                    if (checkpoint.Size != keySize)
                    {
                        run.Add(previous, "checkpoint-misfiled", $"'{item.Key}' holds a checkpoint of size {checkpoint.Size}.");
                    }
                    else
                    {
                        result.Add(checkpoint);
                    }
                }

                previous = keySize;
            }

            if (page.Count < 1000)
            {
                return result;
            }

            after = page[^1].Key;
        }
    }

    private Checkpoint? OpenCheckpoint(Run run, long index, string note)
    {
        try
        {
            var signed = SignedNote.Parse(note);
            if (logKey is not null && !logKey.Verify(signed))
            {
                run.Add(index, "checkpoint-signature-invalid", "A stored checkpoint is not signed by the log key.");
                return null;
            }

            var checkpoint = Checkpoint.Parse(signed.Text);
            if (checkpoint.Origin != origin)
            {
                run.Add(index, "checkpoint-origin-mismatch", $"A stored checkpoint names '{checkpoint.Origin}'.");
                return null;
            }

            return checkpoint;
        }
        catch (FormatException ex)
        {
            run.Add(index, "checkpoint-malformed", ex.Message);
            return null;
        }
    }

    private async Task CheckLatestCheckpointAsync(Run run, long size, CompactRange range, CancellationToken cancellationToken)
    {
        var latest = await store.GetAsync(_keys.Checkpoint, cancellationToken).ConfigureAwait(false);
        if (latest is null)
        {
            if (size > 0)
            {
                run.Add(0, "checkpoint-missing", "The log has entries but no checkpoint.");
            }

            return;
        }

        var checkpoint = OpenCheckpoint(run, 0, Encoding.UTF8.GetString(latest.Value.Span));
        if (checkpoint is not null && (checkpoint.Size != size || !CryptographicOperations.FixedTimeEquals(checkpoint.RootHash, range.Root())))
        {
            run.Add(Math.Min(checkpoint.Size, size), "latest-checkpoint-mismatch", string.Create(CultureInfo.InvariantCulture, $"The published checkpoint (size {checkpoint.Size}) does not match the entries (size {size})."));
        }
    }

    private static void CheckCanonical(Run run, long index, byte[] entry)
    {
        try
        {
            _ = AuditEventCodec.Decode(entry);
        }
        catch (FormatException ex)
        {
            run.Add(index, "entry-not-canonical", ex.Message);
        }
    }

    private sealed class Run
    {
        private static readonly HashSet<string> EntryKinds = ["leaf-hash-mismatch", "entry-missing", "entry-bundle-missing", "entry-bundle-corrupt", "entry-not-canonical"];

        private readonly List<LogProblem> _problems = [];
        private readonly Dictionary<int, long> _upperSeen = [];

        public int Tiles { get; set; }

        public void Add(long index, string kind, string detail)
        {
            if (_problems.Count < MaxProblems)
            {
                _problems.Add(new LogProblem(index, kind, detail));
                AuditTelemetry.VerificationProblems.Add(1);
            }
        }

        /// <summary>
        /// A subtree or checkpoint mismatch puts [start, end) in doubt; when an entry in that range
        /// already failed on its own, that entry is the first one that does not match.
        /// </summary>
        public long Narrow(long start, long end) =>
            _problems.Where(p => p.Index >= start && p.Index < end && EntryKinds.Contains(p.Kind)).Select(p => (long?)p.Index).Min() ?? start;

        public long UpperSeen(int level) => _upperSeen.GetValueOrDefault(level);

        public void AdvanceUpper(int level, int count) => _upperSeen[level] = UpperSeen(level) + count;

        public LogVerificationReport Report(long size, long entries, int checkpoints) =>
            new(size, entries, Tiles, checkpoints, [.. _problems.OrderBy(p => p.Index)]);
    }
}
