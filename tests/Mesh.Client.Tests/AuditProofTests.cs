using System.Security.Cryptography;
using Mesh.Contracts.Audit.V1;
using Mesh.Contracts.Routing.V1;

namespace Mesh.Client.Tests;

/// <summary>Proofs the hub really serves, verified with the SDK, and the same proofs tampered with.</summary>
[Collection(HubCollection.Name)]
public sealed class AuditProofTests(HubFixture hub)
{
    [Fact]
    public async Task VerifyAuditLeafAsync_ReceiptLeaf_IsProvenInTheSignedCheckpoint()
    {
        using var client = await ClientAsync();
        var key = await LogKeyAsync(client);
        var sent = await SendAsync(client);

        var leaf = await client.VerifyAuditLeafAsync(sent.Receipt.AuditLeafIndex, key);

        leaf.LeafIndex.Should().Be(sent.Receipt.AuditLeafIndex);
        leaf.Checkpoint.TreeSize.Should().BeGreaterThan(sent.Receipt.AuditLeafIndex);
        leaf.Event!.DocumentId.Should().Be(sent.Receipt.DocumentId);
    }

    [Fact]
    public async Task VerifyAuditLeafAsync_AnotherLogKeyPinned_Throws()
    {
        using var client = await ClientAsync();
        var sent = await SendAsync(client);
        var origin = AuditVerifier.OpenCheckpoint((await client.Audit.GetCheckpointAsync(new GetCheckpointRequest())).SignedCheckpoint, await LogKeyAsync(client)).Origin;
        var (_, otherKey) = TestLog.NewKey(origin);

        var act = () => client.VerifyAuditLeafAsync(sent.Receipt.AuditLeafIndex, otherKey);

        await act.Should().ThrowAsync<CryptographicException>();
    }

    [Fact]
    public async Task VerifyInclusion_ProofServedByTheHub_VerifiesAndEveryTamperingIsRefused()
    {
        using var client = await ClientAsync();
        var key = await LogKeyAsync(client);
        await SendAsync(client);
        var sent = await SendAsync(client);
        var checkpoint = AuditVerifier.OpenCheckpoint((await client.Audit.GetCheckpointAsync(new GetCheckpointRequest())).SignedCheckpoint, key);
        var index = sent.Receipt.AuditLeafIndex;
        var entry = (await client.Audit.GetEntriesAsync(new GetEntriesRequest { Start = index, End = index + 1 })).Entries.Single();
        var leaf = AuditVerifier.HashLeaf(entry.Data.Span);
        var proof = (await client.Audit.GetInclusionProofAsync(new GetInclusionProofRequest { LeafIndex = index, TreeSize = checkpoint.TreeSize })).Hashes.Select(h => h.ToByteArray()).ToList();
        proof.Should().NotBeEmpty("the log holds more than one leaf");

        var valid = AuditVerifier.VerifyInclusion(index, checkpoint.TreeSize, leaf, proof, checkpoint.RootHash);

        valid.Should().BeTrue();
        for (var i = 0; i < proof.Count; i++)
        {
            AuditVerifier.VerifyInclusion(index, checkpoint.TreeSize, leaf, TestLog.Flip(proof, i), checkpoint.RootHash).Should().BeFalse($"proof hash {i} was changed");
        }

        AuditVerifier.VerifyInclusion(index, checkpoint.TreeSize, TestLog.Flip(leaf), proof, checkpoint.RootHash).Should().BeFalse("the leaf hash was changed");
        AuditVerifier.VerifyInclusion(index ^ 1, checkpoint.TreeSize, leaf, proof, checkpoint.RootHash).Should().BeFalse("the index was changed");
        AuditVerifier.VerifyInclusion(index, checkpoint.TreeSize, leaf, proof.SkipLast(1).ToList(), checkpoint.RootHash).Should().BeFalse("a proof hash was dropped");
    }

    [Fact]
    public async Task VerifyAuditGrowthAsync_LogGrewSinceTheTrustedCheckpoint_ReturnsTheNewerCheckpoint()
    {
        using var client = await ClientAsync();
        var key = await LogKeyAsync(client);
        await SendAsync(client);
        var trusted = AuditVerifier.OpenCheckpoint((await client.Audit.GetCheckpointAsync(new GetCheckpointRequest())).SignedCheckpoint, key);
        await SendAsync(client);

        var latest = await client.VerifyAuditGrowthAsync(trusted, key);

        latest.TreeSize.Should().BeGreaterThan(trusted.TreeSize);
    }

    [Fact]
    public async Task VerifyConsistency_ProofServedByTheHub_VerifiesAndEveryTamperingIsRefused()
    {
        using var client = await ClientAsync();
        var key = await LogKeyAsync(client);
        await SendAsync(client);
        var first = AuditVerifier.OpenCheckpoint((await client.Audit.GetCheckpointAsync(new GetCheckpointRequest())).SignedCheckpoint, key);
        await SendAsync(client);
        await SendAsync(client);
        var second = AuditVerifier.OpenCheckpoint((await client.Audit.GetCheckpointAsync(new GetCheckpointRequest())).SignedCheckpoint, key);
        var proof = (await client.Audit.GetConsistencyProofAsync(new GetConsistencyProofRequest { FirstTreeSize = first.TreeSize, SecondTreeSize = second.TreeSize })).Hashes.Select(h => h.ToByteArray()).ToList();

        var valid = AuditVerifier.VerifyConsistency(first.TreeSize, second.TreeSize, first.RootHash, second.RootHash, proof);

        valid.Should().BeTrue();
        for (var i = 0; i < proof.Count; i++)
        {
            AuditVerifier.VerifyConsistency(first.TreeSize, second.TreeSize, first.RootHash, second.RootHash, TestLog.Flip(proof, i)).Should().BeFalse($"proof hash {i} was changed");
        }

        AuditVerifier.VerifyConsistency(first.TreeSize, second.TreeSize, first.RootHash, second.RootHash, proof.SkipLast(1).ToList()).Should().BeFalse("a proof hash was dropped");
        AuditVerifier.VerifyConsistency(first.TreeSize, second.TreeSize, TestLog.Flip(first.RootHash), second.RootHash, proof).Should().BeFalse("the old root was changed");
        AuditVerifier.VerifyConsistency(first.TreeSize, second.TreeSize, first.RootHash, TestLog.Flip(second.RootHash), proof).Should().BeFalse("the new root was changed");
    }

    // The tree size is authenticated by the checkpoint's signature, not by the proofs: changing it is refused here.
    [Fact]
    public async Task OpenCheckpoint_SizeInTheServedNoteChanged_Throws()
    {
        using var client = await ClientAsync();
        var key = await LogKeyAsync(client);
        var served = (await client.Audit.GetCheckpointAsync(new GetCheckpointRequest())).SignedCheckpoint;
        var size = AuditVerifier.OpenCheckpoint(served, key).TreeSize;
        var forged = served.Replace($"\n{size}\n", $"\n{size + 1}\n", StringComparison.Ordinal);

        var act = () => AuditVerifier.OpenCheckpoint(forged, key);

        forged.Should().NotBe(served);
        act.Should().Throw<CryptographicException>();
    }

    private async Task<MeshClient> ClientAsync() => hub.Connect(await hub.AgencyAsync(HubFixture.Ministry));

    // Pinned once from the hub itself: in these tests the hub is the one we started.
    private static async Task<string> LogKeyAsync(MeshClient client) =>
        (await client.Audit.GetCheckpointAsync(new GetCheckpointRequest())).VerifierKey;

    private async Task<SendDocumentResponse> SendAsync(MeshClient client)
    {
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        var response = await client.SendAsync(HubFixture.Header(sender.OrganId, HubFixture.Province), HubFixture.Package(sender, size: 1_000));
        response.Receipt.AuditLeafIndex.Should().BeGreaterThanOrEqualTo(0, "the hub records every accepted document in its audit log");
        return response;
    }
}
