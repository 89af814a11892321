using System.Collections.Concurrent;
using Mesh.Audit.Domain;
using Mesh.Errors;
using Mesh.State;

namespace Mesh.Audit.Infrastructure;

/// <summary>
/// Answers complete-subtree hashes from the stored tiles: a node of level 8·L + r is the
/// r-level subtree over 2^r consecutive hashes of one level-L tile. Full tiles never change, so
/// they are cached; partial tiles are always read.
/// </summary>
public sealed class TileNodeSource(IStateStore store, AuditKeys keys, int cacheSize)
{
    private readonly ConcurrentDictionary<string, byte[]> _fullTiles = new(StringComparer.Ordinal);

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

        var wanted = new Dictionary<string, (int Level, long Tile)>(StringComparer.Ordinal);
        var placements = new (string Key, int Offset, int Height)[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var tileLevel = node.Level / TileLayout.TileHeight;
            var height = node.Level % TileLayout.TileHeight;
            var first = node.Index << height;
            var tile = first / TileLayout.TileWidth;
            var width = TileLayout.Width(TileLayout.LevelCount(storedSize, tileLevel), tile);
            var key = keys.Tile(tileLevel, tile, width);
            placements[i] = (key, (int)(first % TileLayout.TileWidth), height);
            wanted[key] = (tileLevel, tile);
        }

        var tiles = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var key in wanted.Keys)
        {
            if (_fullTiles.TryGetValue(key, out var cached))
            {
                tiles[key] = cached;
            }
            else
            {
                missing.Add(key);
            }
        }

        if (missing.Count > 0)
        {
            foreach (var item in await store.GetBulkAsync(missing, cancellationToken).ConfigureAwait(false))
            {
                var bytes = item.Value.ToArray();
                tiles[item.Key] = bytes;
                if (bytes.Length == TileLayout.TileWidth * MerkleHasher.HashSize && cacheSize > 0)
                {
                    if (_fullTiles.Count >= cacheSize)
                    {
                        _fullTiles.Clear();
                    }

                    _fullTiles[item.Key] = bytes;
                }
            }
        }

        var result = new byte[nodes.Count][];
        for (var i = 0; i < nodes.Count; i++)
        {
            var (key, offset, height) = placements[i];
            if (!tiles.TryGetValue(key, out var tile))
            {
                throw new TileMissingException(key);
            }

            result[i] = HashUp(tile, offset, height);
        }

        return result;
    }

    private static byte[] HashUp(byte[] tile, int offset, int height)
    {
        var count = 1 << height;
        if ((offset + count) * MerkleHasher.HashSize > tile.Length)
        {
            throw new MeshException(ErrorKind.DataLoss, "AUDIT_TILE_CORRUPT", "A stored tile is shorter than its width.");
        }

        var level = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            level[i] = tile.AsSpan((offset + i) * MerkleHasher.HashSize, MerkleHasher.HashSize).ToArray();
        }

        for (var n = count; n > 1; n /= 2)
        {
            for (var i = 0; i < n / 2; i++)
            {
                level[i] = MerkleHasher.HashChildren(level[2 * i], level[(2 * i) + 1]);
            }
        }

        return level[0];
    }
}

/// <summary>A tile the tree state names is not in the store: either a sequencer replaced it meanwhile (re-read), or data is lost.</summary>
public sealed class TileMissingException(string key)
    : MeshException(ErrorKind.DataLoss, "AUDIT_TILE_MISSING", $"The audit tile '{key}' is missing.")
{
    public string Key { get; } = key;
}
