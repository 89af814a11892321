using System.Security.Cryptography;

namespace Mesh.Client.Tests;

/// <summary>The offline verifier against trees built from the RFC 9162 definitions, every index and size up to <see cref="MaxSize"/>.</summary>
public sealed class AuditVerifierTests
{
    private const int MaxSize = 33;
    private const string Origin = "mesh.test/audit";
    private static readonly TestLog Log = new(MaxSize);
    private static readonly byte[][] Roots = [[], .. Enumerable.Range(1, MaxSize).Select(Log.Root)];

    [Fact]
    public void VerifyInclusion_ProofOfEveryLeafInEveryTree_Verifies()
    {
        foreach (var (index, size) in Pairs(0))
        {
            AuditVerifier.VerifyInclusion(index, size, Log.Leaf(index), Log.InclusionProof(index, size), Roots[size]).Should().BeTrue($"leaf {index} is in the tree of {size}");
        }
    }

    [Fact]
    public void VerifyInclusion_OneHashChanged_IsRefused()
    {
        foreach (var (index, size) in Pairs(0))
        {
            var proof = Log.InclusionProof(index, size);
            for (var i = 0; i < proof.Count; i++)
            {
                AuditVerifier.VerifyInclusion(index, size, Log.Leaf(index), TestLog.Flip(proof, i), Roots[size]).Should().BeFalse($"hash {i} of the proof of leaf {index} in {size} was changed");
            }

            AuditVerifier.VerifyInclusion(index, size, TestLog.Flip(Log.Leaf(index)), proof, Roots[size]).Should().BeFalse("the leaf hash was changed");
            AuditVerifier.VerifyInclusion(index, size, Log.Leaf(index), proof, TestLog.Flip(Roots[size])).Should().BeFalse("the root was changed");
        }
    }

    [Fact]
    public void VerifyInclusion_AnotherIndex_IsRefused()
    {
        foreach (var (index, size) in Pairs(0))
        {
            var proof = Log.InclusionProof(index, size);
            foreach (var other in Enumerable.Range(-1, size + 2).Where(o => o != index))
            {
                AuditVerifier.VerifyInclusion(other, size, Log.Leaf(index), proof, Roots[size]).Should().BeFalse($"the proof of leaf {index} in {size} was presented as leaf {other}");
            }
        }
    }

    [Fact]
    public void VerifyInclusion_AnotherTreeSizeWithItsRoot_IsRefused()
    {
        foreach (var (index, size) in Pairs(0))
        {
            var proof = Log.InclusionProof(index, size);
            foreach (var other in Enumerable.Range(index + 1, MaxSize - index).Where(o => o != size))
            {
                AuditVerifier.VerifyInclusion(index, other, Log.Leaf(index), proof, Roots[other]).Should().BeFalse($"the proof of leaf {index} in {size} was presented for the tree of {other}");
            }
        }
    }

    [Fact]
    public void VerifyConsistency_ProofBetweenEveryTwoSizes_Verifies()
    {
        foreach (var (oldSize, newSize) in Pairs(1))
        {
            AuditVerifier.VerifyConsistency(oldSize, newSize, Roots[oldSize], Roots[newSize], Log.ConsistencyProof(oldSize, newSize)).Should().BeTrue($"{oldSize} is a prefix of {newSize}");
        }
    }

    [Fact]
    public void VerifyConsistency_OneHashOrRootChanged_IsRefused()
    {
        foreach (var (oldSize, newSize) in Pairs(1))
        {
            var proof = Log.ConsistencyProof(oldSize, newSize);
            for (var i = 0; i < proof.Count; i++)
            {
                AuditVerifier.VerifyConsistency(oldSize, newSize, Roots[oldSize], Roots[newSize], TestLog.Flip(proof, i)).Should().BeFalse($"hash {i} of the proof {oldSize}→{newSize} was changed");
            }

            AuditVerifier.VerifyConsistency(oldSize, newSize, TestLog.Flip(Roots[oldSize]), Roots[newSize], proof).Should().BeFalse("the old root was changed");
            AuditVerifier.VerifyConsistency(oldSize, newSize, Roots[oldSize], TestLog.Flip(Roots[newSize]), proof).Should().BeFalse("the new root was changed");
        }
    }

    [Fact]
    public void VerifyConsistency_OtherTreeSizesWithTheirRoots_AreRefused()
    {
        foreach (var (oldSize, newSize) in Pairs(1).Where(p => p.Item1 < p.Item2))
        {
            var proof = Log.ConsistencyProof(oldSize, newSize);
            foreach (var other in Enumerable.Range(1, MaxSize).Where(o => o != oldSize))
            {
                AuditVerifier.VerifyConsistency(other, newSize, Roots[other], Roots[newSize], proof).Should().BeFalse($"the proof {oldSize}→{newSize} was presented as {other}→{newSize}");
            }

            foreach (var other in Enumerable.Range(1, MaxSize).Where(o => o != newSize))
            {
                AuditVerifier.VerifyConsistency(oldSize, other, Roots[oldSize], Roots[other], proof).Should().BeFalse($"the proof {oldSize}→{newSize} was presented as {oldSize}→{other}");
            }
        }
    }

    [Fact]
    public void VerifyConsistency_EmptyOldTree_IsRefused()
    {
        var ok = AuditVerifier.VerifyConsistency(0, 5, SHA256.HashData([]), Roots[5], []);

        ok.Should().BeFalse("the empty tree proves nothing");
    }

    [Fact]
    public void OpenCheckpoint_SignedByTheKey_ReturnsOriginSizeAndRoot()
    {
        var (key, verifierKey) = TestLog.NewKey(Origin);
        var note = Log.Checkpoint(Origin, 7, key, verifierKey);

        var checkpoint = AuditVerifier.OpenCheckpoint(note, verifierKey);

        checkpoint.Origin.Should().Be(Origin);
        checkpoint.TreeSize.Should().Be(7);
        checkpoint.RootHash.Should().Equal(Roots[7]);
        checkpoint.KeyName.Should().Be(Origin);
        checkpoint.SignedNote.Should().Be(note);
    }

    [Fact]
    public void OpenCheckpoint_CosignedByAnotherKey_StillVerifiesWithTheLogKey()
    {
        var (key, verifierKey) = TestLog.NewKey(Origin);
        var (witness, witnessKey) = TestLog.NewKey("witness.test");
        var note = Log.Checkpoint(Origin, 7, key, verifierKey);
        var cosignature = Log.Checkpoint(Origin, 7, witness, witnessKey).Split("\n\n")[1];

        var checkpoint = AuditVerifier.OpenCheckpoint(note + cosignature, verifierKey);

        checkpoint.TreeSize.Should().Be(7);
    }

    [Fact]
    public void OpenCheckpoint_SizeChangedAfterSigning_Throws()
    {
        var (key, verifierKey) = TestLog.NewKey(Origin);
        var forged = Log.Checkpoint(Origin, 7, key, verifierKey).Replace("\n7\n", "\n8\n", StringComparison.Ordinal);

        var act = () => AuditVerifier.OpenCheckpoint(forged, verifierKey);

        act.Should().Throw<CryptographicException>();
    }

    [Fact]
    public void OpenCheckpoint_SignedByAnotherKeyOfTheSameName_Throws()
    {
        var (_, verifierKey) = TestLog.NewKey(Origin);
        var (impostor, impostorKey) = TestLog.NewKey(Origin);
        var note = Log.Checkpoint(Origin, 7, impostor, impostorKey);

        var act = () => AuditVerifier.OpenCheckpoint(note, verifierKey);

        act.Should().Throw<CryptographicException>();
    }

    [Fact]
    public void OpenCheckpoint_KeyIdNotMatchingNameAndKey_ThrowsFormatException()
    {
        var (key, verifierKey) = TestLog.NewKey(Origin);
        var note = Log.Checkpoint(Origin, 7, key, verifierKey);
        var parts = verifierKey.Split('+');
        var wrongId = $"{parts[0]}+{Convert.ToUInt32(parts[1], 16) ^ 1:x8}+{parts[2]}";

        var act = () => AuditVerifier.OpenCheckpoint(note, wrongId);

        act.Should().Throw<FormatException>();
    }

    // Every (a, b) with start <= a <= b <= MaxSize and, for inclusion (start 0), a < b.
    private static IEnumerable<(int, int)> Pairs(int start) =>
        from b in Enumerable.Range(1, MaxSize)
        from a in Enumerable.Range(start, b - start + (start == 0 ? 0 : 1))
        select (a, b);
}
