using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Mesh.Audit.Infrastructure;

/// <summary>
/// C2SP tlog-tiles layout, as state-store keys under a prefix. A level-L tile holds up to 256
/// hashes of tree level 8·L; the rightmost tile of a level is partial (".p/W") until it fills.
/// </summary>
public static class TileLayout
{
    public const int TileHeight = 8;
    public const int TileWidth = 1 << TileHeight;

    /// <summary>c2sp.org/tlog-tiles: the index is split in 3-digit groups, all but the last prefixed with "x" (1234067 → x001/x234/067).</summary>
    public static string EncodeIndex(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var groups = new List<string>();
        do
        {
            groups.Add((n % 1000).ToString("D3", CultureInfo.InvariantCulture));
            n /= 1000;
        }
        while (n > 0);

        groups.Reverse();
        var builder = new StringBuilder();
        for (var i = 0; i < groups.Count; i++)
        {
            if (i > 0)
            {
                builder.Append('/');
            }

            if (i < groups.Count - 1)
            {
                builder.Append('x');
            }

            builder.Append(groups[i]);
        }

        return builder.ToString();
    }

    /// <summary>The path of hash tile (level, n) of width w (256 = full).</summary>
    public static string TilePath(int level, long n, int width) =>
        $"tile/{level.ToString(CultureInfo.InvariantCulture)}/{EncodeIndex(n)}{PartialSuffix(width)}";

    /// <summary>The path of entry bundle n of width w (256 = full).</summary>
    public static string EntriesPath(long n, int width) => $"tile/entries/{EncodeIndex(n)}{PartialSuffix(width)}";

    /// <summary>Width of tile n at a level that holds <paramref name="levelCount"/> hashes; 0 when the tile does not exist yet.</summary>
    public static int Width(long levelCount, long n) => (int)Math.Clamp(levelCount - (n * TileWidth), 0, TileWidth);

    /// <summary>Number of hashes stored at tile level <paramref name="level"/> for a tree of <paramref name="treeSize"/> leaves.</summary>
    public static long LevelCount(long treeSize, int level) => treeSize >> (TileHeight * level);

    private static string PartialSuffix(int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, TileWidth);
        return width == TileWidth ? "" : $".p/{width.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>c2sp.org/tlog-tiles entry bundle: each entry as a big-endian uint16 length and its bytes.</summary>
    public static byte[] EncodeBundle(IReadOnlyList<byte[]> entries)
    {
        var buffer = new byte[entries.Sum(e => 2 + e.Length)];
        var offset = 0;
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(offset), checked((ushort)entry.Length));
            entry.CopyTo(buffer, offset + 2);
            offset += 2 + entry.Length;
        }

        return buffer;
    }

    public static List<byte[]> DecodeBundle(ReadOnlySpan<byte> bundle)
    {
        var entries = new List<byte[]>();
        while (!bundle.IsEmpty)
        {
            if (bundle.Length < 2)
            {
                throw new FormatException("An entry bundle ends inside a length prefix.");
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(bundle);
            if (bundle.Length < 2 + length)
            {
                throw new FormatException("An entry bundle ends inside an entry.");
            }

            entries.Add(bundle.Slice(2, length).ToArray());
            bundle = bundle[(2 + length)..];
        }

        return entries;
    }

    public static byte[] EncodeTile(IReadOnlyList<byte[]> hashes)
    {
        var buffer = new byte[hashes.Count * Domain.MerkleHasher.HashSize];
        for (var i = 0; i < hashes.Count; i++)
        {
            hashes[i].CopyTo(buffer, i * Domain.MerkleHasher.HashSize);
        }

        return buffer;
    }

    public static List<byte[]> DecodeTile(ReadOnlySpan<byte> tile)
    {
        if (tile.Length % Domain.MerkleHasher.HashSize != 0)
        {
            throw new FormatException("A hash tile is not a whole number of hashes.");
        }

        var hashes = new List<byte[]>(tile.Length / Domain.MerkleHasher.HashSize);
        for (var offset = 0; offset < tile.Length; offset += Domain.MerkleHasher.HashSize)
        {
            hashes.Add(tile.Slice(offset, Domain.MerkleHasher.HashSize).ToArray());
        }

        return hashes;
    }
}
