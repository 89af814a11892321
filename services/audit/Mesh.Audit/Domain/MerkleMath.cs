using System.Numerics;

namespace Mesh.Audit.Domain;

/// <summary>A complete subtree: the 2^Level leaves starting at Index·2^Level.</summary>
public readonly record struct NodeId(int Level, long Index)
{
    public long Start => Index << Level;

    public long End => (Index + 1) << Level;
}

/// <summary>A half-open leaf range [Start, End) whose Merkle tree hash is a proof element.</summary>
public readonly record struct LeafRange(long Start, long End);

/// <summary>
/// Proof shapes of RFC 6962 §2.1.1 (PATH) and §2.1.2 (PROOF/SUBPROOF) as leaf ranges, so that any
/// store that can answer complete-subtree hashes (an in-memory tree, tiles) can build the proof.
/// </summary>
public static class MerkleMath
{
    /// <summary>RFC 6962 §2.1: k is the largest power of two smaller than n (n &gt; 1).</summary>
    public static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>The ranges whose hashes form PATH(m, D[0:n]), leaf sibling first.</summary>
    public static IReadOnlyList<LeafRange> InclusionRanges(long index, long size)
    {
        if (size <= 0 || index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Leaf {index} is not in a tree of size {size}.");
        }

        var ranges = new List<LeafRange>();
        Path(index, 0, size, ranges);
        ranges.Reverse();
        return ranges;
    }

    // Recursion depth is at most 64, the tree height.
    private static void Path(long m, long start, long end, List<LeafRange> output)
    {
        var n = end - start;
        if (n <= 1)
        {
            return;
        }

        var k = SplitPoint(n);
        if (m < k)
        {
            output.Add(new LeafRange(start + k, end));
            Path(m, start, start + k, output);
        }
        else
        {
            output.Add(new LeafRange(start, start + k));
            Path(m - k, start + k, end, output);
        }
    }

    /// <summary>The ranges whose hashes form PROOF(m, D[0:n]) (RFC 6962 §2.1.2), in proof order.</summary>
    public static IReadOnlyList<LeafRange> ConsistencyRanges(long size1, long size2)
    {
        if (size1 <= 0 || size1 > size2)
        {
            throw new ArgumentOutOfRangeException(nameof(size1), $"No consistency proof from size {size1} to {size2}.");
        }

        var ranges = new List<LeafRange>();
        if (size1 < size2)
        {
            SubProof(size1, 0, size2, true, ranges);
        }

        return ranges;
    }

    private static void SubProof(long m, long start, long end, bool original, List<LeafRange> output)
    {
        var n = end - start;
        if (m == n)
        {
            if (!original)
            {
                output.Add(new LeafRange(start, end));
            }

            return;
        }

        var k = SplitPoint(n);
        if (m <= k)
        {
            SubProof(m, start, start + k, original, output);
            output.Add(new LeafRange(start + k, end));
        }
        else
        {
            SubProof(m - k, start + k, end, false, output);
            output.Add(new LeafRange(start, start + k));
        }
    }

    /// <summary>
    /// Splits a range into complete subtrees, largest first. For the ranges that proofs use
    /// (start aligned to the largest power of two not above the length), folding these hashes
    /// from the right gives MTH of the range, because that is how RFC 6962 splits it.
    /// </summary>
    public static IReadOnlyList<NodeId> Decompose(LeafRange range)
    {
        var nodes = new List<NodeId>();
        var start = range.Start;
        while (start < range.End)
        {
            var remaining = range.End - start;
            var level = 63 - BitOperations.LeadingZeroCount((ulong)remaining);
            if (start != 0)
            {
                level = Math.Min(level, BitOperations.TrailingZeroCount(start));
            }

            nodes.Add(new NodeId(level, start >> level));
            start += 1L << level;
        }

        return nodes;
    }

    /// <summary>MTH of a decomposed range: the node hashes folded right to left.</summary>
    public static byte[] FoldRight(IReadOnlyList<byte[]> hashes)
    {
        if (hashes.Count == 0)
        {
            return MerkleHasher.EmptyRoot;
        }

        var acc = hashes[^1];
        for (var i = hashes.Count - 2; i >= 0; i--)
        {
            acc = MerkleHasher.HashChildren(hashes[i], acc);
        }

        return acc;
    }
}
