using System.Buffers.Binary;
using System.Globalization;
using Mesh.Audit.Domain;
using Mesh.Errors;
using Mesh.State;

namespace Mesh.Audit.Infrastructure;

/// <summary>
/// One tile of the log: hash tile (<see cref="Level"/> ≥ 0) or entry bundle (<see cref="EntriesLevel"/>),
/// number <see cref="N"/> of its level, holding the first <see cref="Width"/> items (256 = full).
/// </summary>
public readonly record struct TileId(int Level, long N, int Width)
{
    public const int EntriesLevel = -1;

    public bool IsEntries => Level == EntriesLevel;

    public bool IsFull => Width == TileLayout.TileWidth;
}

/// <summary>
/// Reads and plans writes of tiles. Full tiles are stored whole at their c2sp.org/tlog-tiles path and
/// never change. The rightmost, partial tile of each level is stored as pieces, one per batch that
/// appended to it (<see cref="AuditKeys.TilePiece"/>: <c>tail/&lt;level&gt;/&lt;n&gt;/&lt;start&gt;-&lt;end&gt;</c>),
/// so a batch writes only what it appended instead of rewriting the partial tile whole (at 100 sends/s the
/// whole-tile rewrites were ~40 % of the bytes the hub wrote). A partial tile of width W is the pieces
/// from 0 up to W; when the tile fills, the batch that fills it writes the full tile and deletes the pieces
/// in the same transaction. A partial tile stored whole by an earlier version (<c>.p/W</c>) is read as
/// the first piece and deleted with the others.
/// </summary>
public sealed class TileStore(IStateStore store, AuditKeys keys)
{
    private const int MaxPiecesPerTile = TileLayout.TileWidth;

    /// <summary>The name a tile goes by in caches, reports and errors: its c2sp.org/tlog-tiles path.</summary>
    public string Name(TileId tile) =>
        tile.IsEntries ? keys.Entries(tile.N, tile.Width) : keys.Tile(tile.Level, tile.N, tile.Width);

    /// <summary>
    /// Reads tiles; a tile not (or no longer) stored is absent from the result, keyed by <see cref="Name"/>.
    /// A partial tile is absent when its pieces do not reach its width: a sequencer filled it meanwhile
    /// (the caller re-reads the tree size), or data is lost.
    /// </summary>
    public async ValueTask<Dictionary<string, byte[]>> ReadAsync(IReadOnlyCollection<TileId> tiles, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<string, byte[]>(tiles.Count, StringComparer.Ordinal);
        var full = tiles.Where(t => t.IsFull).Select(Name).Distinct(StringComparer.Ordinal).ToList();
        if (full.Count > 0)
        {
            foreach (var item in await store.GetBulkAsync(full, cancellationToken).ConfigureAwait(false))
            {
                result[item.Key] = item.Value.ToArray();
            }
        }

        foreach (var tile in tiles.Where(t => !t.IsFull).Distinct())
        {
            var pieces = await ReadPiecesAsync(tile.Level, tile.N, tile.Width, cancellationToken).ConfigureAwait(false);
            if (pieces is not null)
            {
                result[Name(tile)] = Join(tile, pieces);
            }
        }

        return result;
    }

    /// <summary>
    /// The pieces of partial tile (level, n) that cover its first <paramref name="width"/> items, in order,
    /// with their keys; null when they do not cover them.
    /// </summary>
    public async ValueTask<List<Piece>?> ReadPiecesAsync(int level, long n, int width, CancellationToken cancellationToken = default)
    {
        var stored = await store.ScanAsync(keys.TilePiecePrefix(level, n), null, MaxPiecesPerTile, cancellationToken).ConfigureAwait(false);
        var pieces = new List<Piece>(stored.Count + 1);
        var covered = 0;
        var firstStart = stored.Count > 0 ? ParseRange(stored[0].Key).Start : width;
        if (firstStart > 0)
        {
            // A partial tile written whole by an earlier version is the first piece.
            var legacyKey = Name(new TileId(level, n, firstStart));
            if (await store.GetAsync(legacyKey, cancellationToken).ConfigureAwait(false) is not { } legacy)
            {
                return null;
            }

            pieces.Add(new Piece(legacyKey, 0, firstStart, legacy.Value.ToArray()));
            covered = firstStart;
        }

        foreach (var item in stored)
        {
            if (covered >= width)
            {
                break;
            }

            var (start, end) = ParseRange(item.Key);
            if (start != covered)
            {
                return null;
            }

            pieces.Add(new Piece(item.Key, start, end, item.Value.ToArray()));
            covered = end;
        }

        return covered >= width ? pieces : null;
    }

    /// <summary>
    /// Plans the writes of one batch that appends <paramref name="appended"/> to a level holding
    /// <paramref name="oldCount"/> items whose partial tile is <paramref name="tail"/>: full tiles get their
    /// final path (and the filled tile's pieces are deleted), what is left of the batch becomes one new piece.
    /// Returns the level's partial tile after the batch.
    /// </summary>
    public Tail PlanAppend(int level, Tail tail, IReadOnlyList<byte[]> appended, long oldCount, List<StateOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(tail);
        ArgumentNullException.ThrowIfNull(appended);
        ArgumentNullException.ThrowIfNull(operations);
        var tileN = oldCount / TileLayout.TileWidth;
        var used = 0;
        var current = tail;
        while (used < appended.Count)
        {
            var start = current.Items.Count;
            var take = Math.Min(TileLayout.TileWidth - start, appended.Count - used);
            var slice = new List<byte[]>(take);
            for (var i = 0; i < take; i++)
            {
                slice.Add(appended[used + i]);
            }

            used += take;
            if (start + take == TileLayout.TileWidth)
            {
                var items = new List<byte[]>(TileLayout.TileWidth);
                items.AddRange(current.Items);
                items.AddRange(slice);
                operations.Add(StateOperation.Upsert(Name(new TileId(level, tileN, TileLayout.TileWidth)), Encode(level, items)));
                foreach (var piece in current.PieceKeys)
                {
                    operations.Add(StateOperation.Delete(piece));
                }

                current = Tail.Empty;
                tileN++;
            }
            else
            {
                var key = keys.TilePiece(level, tileN, start, start + take);
                operations.Add(StateOperation.Upsert(key, Encode(level, slice)));
                var items = new List<byte[]>(start + take);
                items.AddRange(current.Items);
                items.AddRange(slice);
                current = new Tail(items, [.. current.PieceKeys, key]);
            }
        }

        return current;
    }

    /// <summary>The partial tile of a level as the pieces read back: its items and the keys to delete once it fills.</summary>
    public static Tail ToTail(int level, List<Piece> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        var items = new List<byte[]>();
        foreach (var piece in pieces)
        {
            items.AddRange(Decode(level, piece.Value));
        }

        return new Tail(items, [.. pieces.Select(p => p.Key)]);
    }

    public static byte[] Encode(int level, IReadOnlyList<byte[]> items) =>
        level == TileId.EntriesLevel ? TileLayout.EncodeBundle(items) : TileLayout.EncodeTile(items);

    public static List<byte[]> Decode(int level, ReadOnlySpan<byte> value) =>
        level == TileId.EntriesLevel ? TileLayout.DecodeBundle(value) : TileLayout.DecodeTile(value);

    private static byte[] Join(TileId tile, List<Piece> pieces)
    {
        // The last piece may reach past the width (a newer batch): only its first items belong to this tile.
        var parts = pieces.Select(p => p.End <= tile.Width ? p.Value : p.Value.AsMemory(0, PrefixLength(tile.Level, p.Value, tile.Width - p.Start)).ToArray()).ToList();
        var buffer = new byte[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(buffer, offset);
            offset += part.Length;
        }

        return buffer;
    }

    /// <summary>Bytes taken by the first <paramref name="count"/> items of an encoded piece.</summary>
    private static int PrefixLength(int level, byte[] value, int count)
    {
        if (level != TileId.EntriesLevel)
        {
            return Math.Min(value.Length, count * MerkleHasher.HashSize);
        }

        var offset = 0;
        for (var i = 0; i < count && offset + 2 <= value.Length; i++)
        {
            offset = Math.Min(value.Length, offset + 2 + BinaryPrimitives.ReadUInt16BigEndian(value.AsSpan(offset)));
        }

        return offset;
    }

    private static (int Start, int End) ParseRange(string key)
    {
        var name = key.AsSpan(key.LastIndexOf('/') + 1);
        var dash = name.IndexOf('-');
        if (dash <= 0
            || !int.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !int.TryParse(name[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            || end <= start || end > TileLayout.TileWidth)
        {
            throw new MeshException(ErrorKind.DataLoss, "AUDIT_TILE_CORRUPT", $"'{key}' is not a tile piece name.");
        }

        return (start, end);
    }

    /// <summary>One stored piece of a partial tile: items <see cref="Start"/>…<see cref="End"/>−1.</summary>
    public sealed record Piece(string Key, int Start, int End, byte[] Value);

    /// <summary>The partial tile of one level as the sequencer keeps it.</summary>
    public sealed record Tail(List<byte[]> Items, List<string> PieceKeys)
    {
        public static Tail Empty => new([], []);
    }
}
