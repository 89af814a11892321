namespace Mesh.Audit.Domain;

/// <summary>
/// The right edge of a tree of a given size: one complete-subtree hash per set bit of the size,
/// largest (leftmost) first. Appending a leaf merges equal-sized neighbours, so the root of any
/// prefix is available without reading stored nodes.
/// </summary>
public sealed class CompactRange
{
    private readonly List<byte[]> _hashes;

    public CompactRange()
        : this(0, [])
    {
    }

    public CompactRange(long size, IEnumerable<byte[]> hashes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        _hashes = [.. hashes];
        if (_hashes.Count != System.Numerics.BitOperations.PopCount((ulong)size))
        {
            throw new ArgumentException($"A range of size {size} needs one hash per set bit.", nameof(hashes));
        }

        Size = size;
    }

    public long Size { get; private set; }

    public IReadOnlyList<byte[]> Hashes => _hashes;

    /// <summary>Appends one leaf hash; <paramref name="onNode"/> sees every complete node created (level ≥ 1).</summary>
    public void Append(byte[] leafHash, Action<NodeId, byte[]>? onNode = null)
    {
        var hash = leafHash;
        var index = Size;
        var level = 0;
        while ((index & 1) == 1)
        {
            var left = _hashes[^1];
            _hashes.RemoveAt(_hashes.Count - 1);
            hash = MerkleHasher.HashChildren(left, hash);
            index >>= 1;
            level++;
            onNode?.Invoke(new NodeId(level, index), hash);
        }

        _hashes.Add(hash);
        Size++;
    }

    /// <summary>MTH(D[0:Size]) (RFC 6962 §2.1).</summary>
    public byte[] Root() => MerkleMath.FoldRight(_hashes);

    public CompactRange Clone() => new(Size, _hashes.Select(h => (byte[])h.Clone()));
}
