using CsCheck;
using Mesh.Audit.Domain;

namespace Mesh.Audit.Tests;

public sealed class MerklePropertyTests
{
    private const int MaxSize = 3000;
    private static readonly MemoryMerkleTree Tree = BuildTree();
    private static readonly byte[][] LeafHashes = [.. Enumerable.Range(0, MaxSize).Select(i => Tree.LeafHash(i))];

    private static MemoryMerkleTree BuildTree()
    {
        var tree = new MemoryMerkleTree();
        var random = new Random(6962);
        for (var i = 0; i < MaxSize; i++)
        {
            var entry = new byte[random.Next(0, 40)];
            random.NextBytes(entry);
            tree.AppendEntry(entry);
        }

        return tree;
    }

    private static readonly Gen<(long Size, long Index)> SizeAndIndex =
        Gen.Long[1, MaxSize].SelectMany(size => Gen.Long[0, size - 1].Select(index => (size, index)));

    private static readonly Gen<(long Size1, long Size2)> TwoSizes =
        Gen.Long[1, MaxSize].SelectMany(size2 => Gen.Long[1, size2].Select(size1 => (size1, size2)));

    [Fact]
    public void Inclusion_RandomSizeAndIndex_EqualsRfc6962PathAndVerifies()
    {
        SizeAndIndex.Sample(c =>
        {
            var proof = Tree.Inclusion(c.Index, c.Size);

            var reference = Rfc6962Reference.Path(LeafHashes, (int)c.Index, 0, (int)c.Size);
            proof.Should().BeEquivalentTo(reference, o => o.WithStrictOrdering());
            MerkleVerifier.VerifyInclusion(c.Index, c.Size, Tree.LeafHash(c.Index), proof, Tree.RootAt(c.Size)).Should().BeTrue();
        }, iter: 300);
    }

    [Fact]
    public void RootAt_RandomSize_EqualsRfc6962Mth()
    {
        Gen.Int[0, MaxSize].Sample(size =>
        {
            var root = Tree.RootAt(size);

            root.Should().Equal(Rfc6962Reference.Mth(LeafHashes, 0, size));
        }, iter: 200);
    }

    [Fact]
    public void VerifyInclusion_AnyAlteration_Fails()
    {
        var gen = SizeAndIndex.SelectMany(c => Gen.Int[0, 63].SelectMany(element => Gen.Int[0, 255].Select(bit => (c.Size, c.Index, Element: element, Bit: bit))));
        gen.Sample(c =>
        {
            var proof = Tree.Inclusion(c.Index, c.Size);
            var leaf = Tree.LeafHash(c.Index);
            var root = Tree.RootAt(c.Size);
            var otherIndex = (c.Index + 1 + (c.Element % Math.Max(1, c.Size - 1))) % c.Size;
            var otherSize = 1 + ((c.Size + c.Bit) % MaxSize);

            if (proof.Count > 0)
            {
                var flipped = proof.Select(p => (byte[])p.Clone()).ToList();
                flipped[c.Element % proof.Count][c.Bit / 8] ^= (byte)(1 << (c.Bit % 8));
                MerkleVerifier.VerifyInclusion(c.Index, c.Size, leaf, flipped, root).Should().BeFalse("a proof element was altered");
                MerkleVerifier.VerifyInclusion(c.Index, c.Size, leaf, proof.Skip(1).ToList(), root).Should().BeFalse("an element was dropped");
            }

            var alteredLeaf = (byte[])leaf.Clone();
            alteredLeaf[c.Bit / 8] ^= (byte)(1 << (c.Bit % 8));
            MerkleVerifier.VerifyInclusion(c.Index, c.Size, alteredLeaf, proof, root).Should().BeFalse("the leaf hash was altered");
            if (otherIndex != c.Index)
            {
                MerkleVerifier.VerifyInclusion(otherIndex, c.Size, leaf, proof, root).Should().BeFalse("the index was altered");
            }

            // The size comes from a signed checkpoint, so a different size arrives with that size's root.
            if (otherSize != c.Size && c.Index < otherSize)
            {
                MerkleVerifier.VerifyInclusion(c.Index, otherSize, leaf, proof, Tree.RootAt(otherSize)).Should().BeFalse("the size was altered");
            }

            MerkleVerifier.VerifyInclusion(c.Index, c.Size * 2, leaf, proof, root).Should().BeFalse("size ×2");
            MerkleVerifier.VerifyInclusion(c.Index, c.Size / 2, leaf, proof, root).Should().BeFalse("size ÷2");
            MerkleVerifier.VerifyInclusion(c.Index, c.Size, leaf, proof.Append(root).ToList(), root).Should().BeFalse("an element was added");
        }, iter: 300);
    }

    [Fact]
    public void Consistency_RandomSizes_EqualsRfc6962ProofAndVerifies()
    {
        TwoSizes.Sample(c =>
        {
            var proof = Tree.Consistency(c.Size1, c.Size2);

            proof.Should().BeEquivalentTo(Rfc6962Reference.Proof(LeafHashes, (int)c.Size1, (int)c.Size2), o => o.WithStrictOrdering());
            MerkleVerifier.VerifyConsistency(c.Size1, c.Size2, Tree.RootAt(c.Size1), Tree.RootAt(c.Size2), proof).Should().BeTrue();
        }, iter: 300);
    }

    [Fact]
    public void VerifyConsistency_AnyAlteration_Fails()
    {
        var gen = TwoSizes.SelectMany(c => Gen.Int[0, 63].SelectMany(element => Gen.Int[0, 255].Select(bit => (c.Size1, c.Size2, Element: element, Bit: bit))));
        gen.Sample(c =>
        {
            var proof = Tree.Consistency(c.Size1, c.Size2);
            var root1 = Tree.RootAt(c.Size1);
            var root2 = Tree.RootAt(c.Size2);
            var otherSize1 = 1 + ((c.Size1 + c.Bit) % c.Size2);
            var otherSize2 = c.Size2 + 1 + (c.Bit % (MaxSize - c.Size2 + 1));

            if (proof.Count > 0)
            {
                var flipped = proof.Select(p => (byte[])p.Clone()).ToList();
                flipped[c.Element % proof.Count][c.Bit / 8] ^= (byte)(1 << (c.Bit % 8));
                MerkleVerifier.VerifyConsistency(c.Size1, c.Size2, root1, root2, flipped).Should().BeFalse("a proof element was altered");
                MerkleVerifier.VerifyConsistency(c.Size1, c.Size2, root1, root2, proof.Take(proof.Count - 1).ToList()).Should().BeFalse("the proof was truncated");
            }

            var altered = (byte[])root1.Clone();
            altered[c.Bit / 8] ^= (byte)(1 << (c.Bit % 8));
            MerkleVerifier.VerifyConsistency(c.Size1, c.Size2, altered, root2, proof).Should().BeFalse("the old root was altered");
            if (otherSize1 != c.Size1)
            {
                MerkleVerifier.VerifyConsistency(otherSize1, c.Size2, Tree.RootAt(otherSize1), root2, proof).Should().BeFalse("the old size was altered");
            }

            if (otherSize2 <= MaxSize)
            {
                MerkleVerifier.VerifyConsistency(c.Size1, otherSize2, root1, Tree.RootAt(otherSize2), proof).Should().BeFalse("the new size was altered");
            }

            MerkleVerifier.VerifyConsistency(c.Size1, c.Size2, root1, root2, proof.Append(root2).ToList()).Should().BeFalse("an element was added");
        }, iter: 300);
    }
}
