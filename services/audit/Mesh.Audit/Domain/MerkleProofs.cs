namespace Mesh.Audit.Domain;

/// <summary>Anything that can answer complete-subtree hashes of a tree of at least a given size.</summary>
public interface IMerkleNodeSource
{
    /// <summary>Returns the hashes of <paramref name="nodes"/>, in order; every node lies inside [0, treeSize).</summary>
    ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> nodes, long treeSize, CancellationToken cancellationToken = default);
}

/// <summary>Builds RFC 6962 proofs and roots from complete-subtree hashes, in one node read per call.</summary>
public static class MerkleProofs
{
    public static ValueTask<IReadOnlyList<byte[]>> InclusionAsync(IMerkleNodeSource source, long index, long treeSize, CancellationToken cancellationToken = default) =>
        HashRangesAsync(source, MerkleMath.InclusionRanges(index, treeSize), treeSize, cancellationToken);

    public static ValueTask<IReadOnlyList<byte[]>> ConsistencyAsync(IMerkleNodeSource source, long size1, long size2, CancellationToken cancellationToken = default) =>
        HashRangesAsync(source, MerkleMath.ConsistencyRanges(size1, size2), size2, cancellationToken);

    public static async ValueTask<byte[]> RootAsync(IMerkleNodeSource source, long treeSize, CancellationToken cancellationToken = default)
    {
        if (treeSize == 0)
        {
            return MerkleHasher.EmptyRoot;
        }

        var hashes = await HashRangesAsync(source, [new LeafRange(0, treeSize)], treeSize, cancellationToken).ConfigureAwait(false);
        return hashes[0];
    }

    private static async ValueTask<IReadOnlyList<byte[]>> HashRangesAsync(IMerkleNodeSource source, IReadOnlyList<LeafRange> ranges, long treeSize, CancellationToken cancellationToken)
    {
        var decomposed = ranges.Select(MerkleMath.Decompose).ToArray();
        var unique = decomposed.SelectMany(d => d).Distinct().ToArray();
        var fetched = await source.GetNodesAsync(unique, treeSize, cancellationToken).ConfigureAwait(false);
        var byNode = new Dictionary<NodeId, byte[]>(unique.Length);
        for (var i = 0; i < unique.Length; i++)
        {
            byNode[unique[i]] = fetched[i];
        }

        return decomposed.Select(nodes => MerkleMath.FoldRight(nodes.Select(n => byNode[n]).ToArray())).ToArray();
    }
}

/// <summary>
/// A Merkle tree held in memory: every complete node is kept, so any proof is a few lookups.
/// Used by tests and tools as the reference for the tile layout, and by the verifier.
/// </summary>
public sealed class MemoryMerkleTree : IMerkleNodeSource
{
    private readonly List<List<byte[]>> _levels = [[]];
    private readonly CompactRange _range = new();

    public long Size => _range.Size;

    public byte[] Root() => _range.Root();

    public byte[] LeafHash(long index) => _levels[0][checked((int)index)];

    public long AppendEntry(ReadOnlySpan<byte> entry) => AppendLeafHash(MerkleHasher.HashLeaf(entry));

    public long AppendLeafHash(byte[] leafHash)
    {
        var index = _range.Size;
        _levels[0].Add(leafHash);
        _range.Append(leafHash, (node, hash) =>
        {
            if (_levels.Count <= node.Level)
            {
                _levels.Add([]);
            }

            _levels[node.Level].Add(hash);
        });
        return index;
    }

    public byte[] Node(NodeId node) => _levels[node.Level][checked((int)node.Index)];

    public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> nodes, long treeSize, CancellationToken cancellationToken = default)
    {
        if (treeSize > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(treeSize), $"The tree has only {Size} leaves.");
        }

        return ValueTask.FromResult<IReadOnlyList<byte[]>>(nodes.Select(Node).ToArray());
    }

    public byte[] RootAt(long treeSize) => MerkleProofs.RootAsync(this, treeSize).AsTask().GetAwaiter().GetResult();

    public IReadOnlyList<byte[]> Inclusion(long index, long treeSize) => MerkleProofs.InclusionAsync(this, index, treeSize).AsTask().GetAwaiter().GetResult();

    public IReadOnlyList<byte[]> Consistency(long size1, long size2) => MerkleProofs.ConsistencyAsync(this, size1, size2).AsTask().GetAwaiter().GetResult();
}
