using System.Collections.Concurrent;
using Mesh.Audit.Domain;
using Mesh.Errors;
using Mesh.State;

namespace Mesh.Audit.Infrastructure;

/// <summary>
/// Answers complete-subtree hashes from the stored tiles: a node of level 8·L + r is the
/// r-level subtree over 2^r consecutive hashes of one level-L tile. A tile path names its width,
/// so what it holds never changes (partial tiles only grow, and are read up to their width):
/// every tile read is kept with all its inner nodes computed, and a proof from cached tiles is
/// lookups only.
/// </summary>
public sealed class TileNodeSource(TileStore store, int cacheSize)
{
    // Partial tiles are only useful until the next batch replaces them.
    private const int PartialCacheSize = 256;

    private readonly ConcurrentDictionary<string, TileNodes> _fullTiles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TileNodes> _partialTiles = new(StringComparer.Ordinal);

    /// <summary>A node source for the stored tree of <paramref name="storedSize"/> leaves (it fixes which tiles are partial).</summary>
    public IMerkleNodeSource At(long storedSize) => new View(this, storedSize);

    private sealed class View(TileNodeSource owner, long storedSize) : IMerkleNodeSource
    {
        public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> nodes, long treeSize, CancellationToken cancellationToken = default) =>
            owner.GetNodesAsync(nodes, treeSize, storedSize, cancellationToken);
    }

    private async ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> nodes, long treeSize, long storedSize, CancellationToken cancellationToken)
    {
        if (treeSize > storedSize)
        {
            throw MeshException.Invalid("AUDIT_TREE_SIZE_UNKNOWN", "tree_size", $"the log has {storedSize} entries");
        }

        var placements = new (string Key, int Offset, int Height)[nodes.Count];
        var tiles = new Dictionary<string, TileNodes?>(StringComparer.Ordinal);
        List<TileId>? missing = null;
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var tileLevel = node.Level / TileLayout.TileHeight;
            var height = node.Level % TileLayout.TileHeight;
            var first = node.Index << height;
            var tile = first / TileLayout.TileWidth;
            var width = TileLayout.Width(TileLayout.LevelCount(storedSize, tileLevel), tile);
            var id = new TileId(tileLevel, tile, width);
            var key = store.Name(id);
            placements[i] = (key, (int)(first % TileLayout.TileWidth), height);
            if (!tiles.ContainsKey(key))
            {
                var cached = Cache(width).GetValueOrDefault(key);
                tiles[key] = cached;
                if (cached is null)
                {
                    (missing ??= []).Add(id);
                }
            }
        }

        if (missing is not null)
        {
            foreach (var item in await store.ReadAsync(missing, cancellationToken).ConfigureAwait(false))
            {
                var nodesOfTile = TileNodes.Build(item.Value);
                tiles[item.Key] = nodesOfTile;
                Remember(item.Key, nodesOfTile);
            }
        }

        var result = new byte[nodes.Count][];
        for (var i = 0; i < nodes.Count; i++)
        {
            var (key, offset, height) = placements[i];
            var tile = tiles[key] ?? throw new TileMissingException(key);
            result[i] = tile.Node(offset, height);
        }

        return result;
    }

    private ConcurrentDictionary<string, TileNodes> Cache(int width) => width == TileLayout.TileWidth ? _fullTiles : _partialTiles;

    private void Remember(string key, TileNodes tile)
    {
        var (cache, limit) = tile.Width == TileLayout.TileWidth ? (_fullTiles, cacheSize) : (_partialTiles, Math.Min(cacheSize, PartialCacheSize));
        if (limit <= 0)
        {
            return;
        }

        // Crude but bounded: a full cache starts over rather than tracking recency on every hit.
        if (cache.Count >= limit)
        {
            cache.Clear();
        }

        cache[key] = tile;
    }

    /// <summary>One tile with every complete inner node: level h holds width » h hashes, levels laid out one after another.</summary>
    private sealed class TileNodes
    {
        private readonly byte[] _hashes;
        private readonly int[] _levelStart;

        private TileNodes(int width, byte[] hashes, int[] levelStart)
        {
            Width = width;
            _hashes = hashes;
            _levelStart = levelStart;
        }

        public int Width { get; }

        public static TileNodes Build(ReadOnlySpan<byte> tile)
        {
            const int size = MerkleHasher.HashSize;
            if (tile.Length % size != 0 || tile.Length == 0 || tile.Length > TileLayout.TileWidth * size)
            {
                throw new MeshException(ErrorKind.DataLoss, "AUDIT_TILE_CORRUPT", "A stored tile is not 1 to 256 whole hashes.");
            }

            var width = tile.Length / size;
            var levelStart = new int[TileLayout.TileHeight];
            var total = 0;
            for (var h = 0; h < TileLayout.TileHeight; h++)
            {
                levelStart[h] = total;
                total += width >> h;
            }

            var hashes = new byte[total * size];
            tile.CopyTo(hashes);
            for (var h = 1; h < TileLayout.TileHeight; h++)
            {
                for (var i = 0; i < width >> h; i++)
                {
                    var below = (levelStart[h - 1] + (2 * i)) * size;
                    MerkleHasher.HashChildren(hashes.AsSpan(below, size), hashes.AsSpan(below + size, size), hashes.AsSpan((levelStart[h] + i) * size, size));
                }
            }

            return new TileNodes(width, hashes, levelStart);
        }

        /// <summary>The subtree of height <paramref name="height"/> over the hashes from <paramref name="offset"/>.</summary>
        public byte[] Node(int offset, int height)
        {
            if (offset + (1 << height) > Width)
            {
                throw new MeshException(ErrorKind.DataLoss, "AUDIT_TILE_CORRUPT", "A stored tile is shorter than its width.");
            }

            var at = (_levelStart[height] + (offset >> height)) * MerkleHasher.HashSize;
            return _hashes.AsSpan(at, MerkleHasher.HashSize).ToArray();
        }
    }
}

/// <summary>A tile the tree state names is not in the store: either a sequencer replaced it meanwhile (re-read), or data is lost.</summary>
public sealed class TileMissingException(string key)
    : MeshException(ErrorKind.DataLoss, "AUDIT_TILE_MISSING", $"The audit tile '{key}' is missing.")
{
    public string Key { get; } = key;
}
