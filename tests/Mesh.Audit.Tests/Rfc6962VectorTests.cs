using System.Text.Json;
using Mesh.Audit.Domain;

namespace Mesh.Audit.Tests;

public sealed class Rfc6962VectorTests
{
    private static readonly JsonElement Vectors = TestData.Load("rfc6962-vectors.json");

    private static MemoryMerkleTree Tree()
    {
        var tree = new MemoryMerkleTree();
        foreach (var leaf in Vectors.GetProperty("leaves_hex").EnumerateArray())
        {
            tree.AppendEntry(TestData.Hex(leaf.GetString()!));
        }

        return tree;
    }

    private static byte[] Root(long size) =>
        TestData.Hex(Vectors.GetProperty("roots").EnumerateArray().Single(r => r.GetProperty("size").GetInt64() == size).GetProperty("root_hex").GetString()!);

    private static List<byte[]> Hashes(JsonElement array) => [.. array.EnumerateArray().Select(e => TestData.Hex(e.GetString()!))];

    public static TheoryData<long, long> InclusionCases()
    {
        var data = new TheoryData<long, long>();
        foreach (var v in Vectors.GetProperty("inclusion").EnumerateArray())
        {
            data.Add(v.GetProperty("leaf_index").GetInt64(), v.GetProperty("tree_size").GetInt64());
        }

        return data;
    }

    public static TheoryData<long, long> ConsistencyCases()
    {
        var data = new TheoryData<long, long>();
        foreach (var v in Vectors.GetProperty("consistency").EnumerateArray())
        {
            data.Add(v.GetProperty("size1").GetInt64(), v.GetProperty("size2").GetInt64());
        }

        return data;
    }

    private static List<byte[]> InclusionProof(long index, long size) =>
        Hashes(Vectors.GetProperty("inclusion").EnumerateArray().Single(v => v.GetProperty("leaf_index").GetInt64() == index && v.GetProperty("tree_size").GetInt64() == size).GetProperty("proof_hex"));

    private static List<byte[]> ConsistencyProof(long size1, long size2) =>
        Hashes(Vectors.GetProperty("consistency").EnumerateArray().Single(v => v.GetProperty("size1").GetInt64() == size1 && v.GetProperty("size2").GetInt64() == size2).GetProperty("proof_hex"));

    [Fact]
    public void HashLeaf_VectorLeaves_MatchLeafHashes()
    {
        var leaves = Vectors.GetProperty("leaves_hex").EnumerateArray().Select(e => TestData.Hex(e.GetString()!)).ToArray();
        var expected = Hashes(Vectors.GetProperty("leaf_hashes_hex"));

        var actual = leaves.Select(l => MerkleHasher.HashLeaf(l)).ToArray();

        actual.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Hasher_KnownAnswers_Match()
    {
        foreach (var check in Vectors.GetProperty("hasher_checks").EnumerateArray())
        {
            var expected = TestData.Hex(check.GetProperty("hash_hex").GetString()!);

            var actual = check.GetProperty("kind").GetString() switch
            {
                "empty_root" => MerkleHasher.EmptyRoot,
                "leaf" => MerkleHasher.HashLeaf(TestData.Hex(check.GetProperty("input_hex").GetString()!)),
                "node" => MerkleHasher.HashChildren(TestData.Hex(check.GetProperty("left_hex").GetString()!), TestData.Hex(check.GetProperty("right_hex").GetString()!)),
                var kind => throw new InvalidOperationException(kind),
            };

            actual.Should().Equal(expected);
        }
    }

    [Fact]
    public void EmptyRoot_MatchesVector()
    {
        var expected = TestData.Hex(Vectors.GetProperty("empty_root_hex").GetString()!);

        var actual = new MemoryMerkleTree().Root();

        actual.Should().Equal(expected);
    }

    [Fact]
    public void RootAt_EverySize_MatchesVectorRoots()
    {
        var tree = Tree();

        foreach (var root in Vectors.GetProperty("roots").EnumerateArray())
        {
            var size = root.GetProperty("size").GetInt64();
            tree.RootAt(size).Should().Equal(TestData.Hex(root.GetProperty("root_hex").GetString()!), $"size {size}");
        }
    }

    [Fact]
    public void Node_EveryCompleteSubtree_MatchesVector()
    {
        var tree = Tree();

        foreach (var s in Vectors.GetProperty("subtree_hashes").EnumerateArray())
        {
            var level = s.GetProperty("level").GetInt32();
            var start = s.GetProperty("start").GetInt64();
            tree.Node(new NodeId(level, start >> level)).Should().Equal(TestData.Hex(s.GetProperty("hash_hex").GetString()!));
        }
    }

    [Theory]
    [MemberData(nameof(InclusionCases))]
    public void Inclusion_VectorCase_MatchesProofAndVerifies(long index, long size)
    {
        var tree = Tree();
        var expected = InclusionProof(index, size);

        var proof = tree.Inclusion(index, size);

        proof.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
        MerkleVerifier.VerifyInclusion(index, size, tree.LeafHash(index), expected, Root(size)).Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(InclusionCases))]
    public void VerifyInclusion_MutatedVectorCase_Fails(long index, long size)
    {
        var proof = InclusionProof(index, size);
        var leaf = Tree().LeafHash(index);
        var root = Root(size);

        foreach (var (name, ok) in InclusionMutations(index, size, leaf, proof, root))
        {
            ok.Should().BeFalse(name);
        }
    }

    // README "Negative cases to derive in a test runner".
    private static IEnumerable<(string, bool)> InclusionMutations(long index, long size, byte[] leaf, List<byte[]> proof, byte[] root)
    {
        yield return ("index-1", MerkleVerifier.VerifyInclusion(index - 1, size, leaf, proof, root));
        yield return ("index+1", MerkleVerifier.VerifyInclusion(index + 1, size, leaf, proof, root));
        yield return ("index^2", MerkleVerifier.VerifyInclusion(index ^ 2, size, leaf, proof, root));
        yield return ("size*2", MerkleVerifier.VerifyInclusion(index, size * 2, leaf, proof, root));
        yield return ("size/2", MerkleVerifier.VerifyInclusion(index, size / 2, leaf, proof, root));
        yield return ("wrong leaf", MerkleVerifier.VerifyInclusion(index, size, MerkleHasher.HashLeaf([0xFF]), proof, root));
        yield return ("empty root", MerkleVerifier.VerifyInclusion(index, size, leaf, proof, MerkleHasher.EmptyRoot));
        yield return ("random root", MerkleVerifier.VerifyInclusion(index, size, leaf, proof, MerkleHasher.HashLeaf([1, 2, 3])));
        for (var i = 0; i < proof.Count; i++)
        {
            var flipped = proof.Select(p => (byte[])p.Clone()).ToList();
            flipped[i][i % 32] ^= 0x01;
            yield return ($"bit flip {i}", MerkleVerifier.VerifyInclusion(index, size, leaf, flipped, root));
            yield return ($"removed {i}", MerkleVerifier.VerifyInclusion(index, size, leaf, proof.Where((_, j) => j != i).ToList(), root));
        }

        yield return ("extra empty at start", MerkleVerifier.VerifyInclusion(index, size, leaf, proof.Prepend(MerkleHasher.EmptyRoot).ToList(), root));
        yield return ("extra root at end", MerkleVerifier.VerifyInclusion(index, size, leaf, proof.Append(root).ToList(), root));
        yield return ("extra empty at end", MerkleVerifier.VerifyInclusion(index, size, leaf, proof.Append(MerkleHasher.EmptyRoot).ToList(), root));
    }

    [Theory]
    [MemberData(nameof(ConsistencyCases))]
    public void Consistency_VectorCase_MatchesProofAndVerifies(long size1, long size2)
    {
        var tree = Tree();
        var expected = ConsistencyProof(size1, size2);

        var proof = tree.Consistency(size1, size2);

        proof.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
        MerkleVerifier.VerifyConsistency(size1, size2, Root(size1), Root(size2), expected).Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(ConsistencyCases))]
    public void VerifyConsistency_MutatedVectorCase_Fails(long size1, long size2)
    {
        var proof = ConsistencyProof(size1, size2);
        var root1 = Root(size1);
        var root2 = Root(size2);
        var results = new List<(string, bool)>
        {
            ("size1-1", MerkleVerifier.VerifyConsistency(size1 - 1, size2, root1, root2, proof)),
            ("size1+1", MerkleVerifier.VerifyConsistency(size1 + 1, size2, root1, root2, proof)),
            ("size1^2", MerkleVerifier.VerifyConsistency(size1 ^ 2, size2, root1, root2, proof)),
            ("size2*2", MerkleVerifier.VerifyConsistency(size1, size2 * 2, root1, root2, proof)),
            ("size2/2", MerkleVerifier.VerifyConsistency(size1, size2 / 2, root1, root2, proof)),
            ("wrong root1", MerkleVerifier.VerifyConsistency(size1, size2, MerkleHasher.EmptyRoot, root2, proof)),
            ("wrong root2", MerkleVerifier.VerifyConsistency(size1, size2, root1, MerkleHasher.EmptyRoot, proof)),
            ("garbage at start", MerkleVerifier.VerifyConsistency(size1, size2, root1, root2, proof.Prepend(MerkleHasher.EmptyRoot).ToList())),
            ("garbage at end", MerkleVerifier.VerifyConsistency(size1, size2, root1, root2, proof.Append(MerkleHasher.EmptyRoot).ToList())),
        };
        if (size1 != size2)
        {
            results.Add(("swapped roots", MerkleVerifier.VerifyConsistency(size1, size2, root2, root1, proof)));
            results.Add(("empty proof", MerkleVerifier.VerifyConsistency(size1, size2, root1, root2, [])));
            results.Add(("truncated", MerkleVerifier.VerifyConsistency(size1, size2, root1, root2, proof.Take(proof.Count - 1).ToList())));
        }

        for (var i = 0; i < proof.Count; i++)
        {
            var flipped = proof.Select(p => (byte[])p.Clone()).ToList();
            flipped[i][31 - (i % 32)] ^= 0x80;
            results.Add(($"bit flip {i}", MerkleVerifier.VerifyConsistency(size1, size2, root1, root2, flipped)));
        }

        results.Should().OnlyContain(r => !r.Item2, because: string.Join(", ", results.Where(r => r.Item2).Select(r => r.Item1)));
    }

    [Fact]
    public void VerifyConsistency_EdgeCases_FollowReadme()
    {
        var root = Root(3);

        var zeroToZero = MerkleVerifier.VerifyConsistency(0, 0, MerkleHasher.EmptyRoot, MerkleHasher.EmptyRoot, []);
        var zeroToOne = MerkleVerifier.VerifyConsistency(0, 1, MerkleHasher.EmptyRoot, Root(1), []);
        var backwards = MerkleVerifier.VerifyConsistency(5, 3, Root(5), root, ConsistencyProof(2, 5));
        var equalSizes = MerkleVerifier.VerifyConsistency(3, 3, root, root, []);
        var equalSizesWithProof = MerkleVerifier.VerifyConsistency(3, 3, root, root, [root]);

        zeroToZero.Should().BeFalse();
        zeroToOne.Should().BeFalse();
        backwards.Should().BeFalse();
        equalSizes.Should().BeTrue();
        equalSizesWithProof.Should().BeFalse();
    }
}
