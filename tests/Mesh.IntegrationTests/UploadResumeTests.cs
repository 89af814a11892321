using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Contracts.Routing.V1;
using Mesh.ServiceDefaults.Errors;
using Mesh.Testing.Routing;
using StatusCode = Grpc.Core.StatusCode;

namespace Mesh.IntegrationTests;

/// <summary>GetUploadStatus and resumed SendDocument streams, over TLS, as an adapter in any language would use them.</summary>
[Collection(HubCollection.Name)]
public sealed class UploadResumeTests(HubFixture hub)
{
    private const int Size = 3_200_000;
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task GetUploadStatus_UnknownRequestId_NotFoundWithUploadNotFound()
    {
        var act = () => hub.ClientA.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = "never-" + Guid.NewGuid().ToString("N") }).ResponseAsync;

        var refusal = (await act.Should().ThrowAsync<RpcException>()).Which;
        refusal.StatusCode.Should().Be(StatusCode.NotFound);
        refusal.MeshReason().Should().Be("UPLOAD_NOT_FOUND");
    }

    [Fact]
    public async Task GetUploadStatus_AnotherAgencysRequestId_NotFound()
    {
        var (_, _, requestId) = await InterruptedAsync();

        var act = () => hub.ClientB.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId }).ResponseAsync;

        (await act.Should().ThrowAsync<RpcException>()).Which.MeshReason().Should().Be("UPLOAD_NOT_FOUND", "request ids are the caller's own");
    }

    [Fact]
    public async Task SendDocument_ResumedAtTheStagedOffsets_AcceptedOnceWithTheWholeAttachmentsDigest()
    {
        var (manifest, attachments, requestId) = await InterruptedAsync();
        var status = await hub.ClientA.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId });
        var offsets = status.Attachments.Select(a => a.StagedBytes).ToList();

        var response = await hub.ClientA.SendAsync(manifest, attachments, requestId, chunks: AgencyClient.ChunksFrom(attachments, offsets));
        var after = await hub.ClientA.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId });
        var (_, downloaded) = await hub.ClientB.DownloadAsync(response.Receipt.DocumentId);

        status.ManifestSha256.Should().Equal(SHA256.HashData(manifest.ToByteArray()));
        status.Attachments.Select(a => a.Size).Should().Equal(attachments.Select(a => (long)a.Content.Length));
        offsets[0].Should().Be(attachments[0].Content.Length, "the main document was stored whole before the break: the resume leaves it out and the hub verifies its PDF signatures from storage");
        offsets[1].Should().BeGreaterThanOrEqualTo(MiB, "at least one whole storage chunk had been read before the stream broke").And.BeLessThan(Size);
        (offsets[1] % MiB).Should().Be(0, "the hub stages whole storage chunks");
        status.ExpireTime.ToDateTimeOffset().Should().BeCloseTo(DateTimeOffset.UtcNow.AddHours(24), TimeSpan.FromMinutes(5));
        response.Receipt.Attachments[1].Sha256.Should().Equal(SHA256.HashData(attachments[1].Content));
        downloaded[1].Should().Equal(attachments[1].Content);
        after.Accepted.ReceiptBytes.Should().Equal(response.ReceiptBytes, "once accepted, the status is the receipt");
        after.Attachments.Should().BeEmpty();
        (await hub.ClientB.InboxAsync()).Count(i => i.Document.BusinessDocumentId == manifest.Header.DocumentId).Should().Be(1);
    }

    [Fact]
    public async Task SendDocument_ResumedWithAnotherManifest_RefusedWithUploadManifestMismatch()
    {
        var (_, attachments, requestId) = await InterruptedAsync();
        var status = await hub.ClientA.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId });
        var other = hub.ClientA.Manifest([HubFixture.B], attachments);

        var act = () => hub.ClientA.SendAsync(other, attachments, requestId, chunks: AgencyClient.ChunksFrom(attachments, [0, status.Attachments[1].StagedBytes]));

        var refusal = (await act.Should().ThrowAsync<RpcException>()).Which;
        refusal.StatusCode.Should().Be(StatusCode.FailedPrecondition, refusal.Status.Detail);
        refusal.MeshReason().Should().Be("UPLOAD_MANIFEST_MISMATCH");
        (await hub.ClientA.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId })).Attachments[1].StagedBytes
            .Should().Be(status.Attachments[1].StagedBytes, "a refused resume leaves the staged bytes for the right one");
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(-MiB)]
    public async Task SendDocument_ResumedAtAnotherOffset_RefusedWithUploadOffsetMismatch(int shift)
    {
        var (manifest, attachments, requestId) = await InterruptedAsync();
        var staged = (await hub.ClientA.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId })).Attachments[1].StagedBytes;

        var act = () => hub.ClientA.SendAsync(manifest, attachments, requestId, chunks: AgencyClient.ChunksFrom(attachments, [0, staged + shift]));

        var refusal = (await act.Should().ThrowAsync<RpcException>()).Which;
        refusal.StatusCode.Should().Be(StatusCode.FailedPrecondition, refusal.Status.Detail);
        refusal.MeshReason().Should().Be("UPLOAD_OFFSET_MISMATCH");
    }

    [Fact]
    public async Task SendDocument_OffsetWithNothingStaged_RefusedWithUploadOffsetMismatch()
    {
        IReadOnlyList<OutgoingAttachment> attachments = [hub.ClientA.Package()[0], new("so-lieu.bin", AgencyClient.RandomBytes(Size))];
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);

        var act = () => hub.ClientA.SendAsync(manifest, attachments, chunks: AgencyClient.ChunksFrom(attachments, [0, MiB]));

        (await act.Should().ThrowAsync<RpcException>()).Which.MeshReason().Should().Be("UPLOAD_OFFSET_MISMATCH");
    }

    [Fact]
    public async Task SendDocument_InterruptedThenSentAgainFromZero_AcceptedAsANewUpload()
    {
        var (manifest, attachments, requestId) = await InterruptedAsync();

        var response = await hub.ClientA.SendAsync(manifest, attachments, requestId);

        response.Receipt.Attachments[1].Sha256.Should().Equal(SHA256.HashData(attachments[1].Content));
    }

    [Fact]
    public async Task DownloadDocument_PackageOnly_StreamsOnlyThePackageAndLeavesTheDeliveryPending()
    {
        var attachments = hub.ClientA.Package();
        var sent = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.B], attachments), attachments);

        using var call = hub.ClientB.Routing.DownloadDocument(new DownloadDocumentRequest { DocumentId = sent.Receipt.DocumentId, PackageOnly = true });
        var messages = new List<DownloadDocumentResponse>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            messages.Add(message);
        }

        messages.Should().ContainSingle().Which.Package.ReceiptBytes.Should().Equal(sent.ReceiptBytes);
        (await hub.ClientB.InboxAsync()).Single(i => i.Document.DocumentId == sent.Receipt.DocumentId).DeliveryState.Should().Be(DeliveryState.Pending);
    }

    /// <summary>A send from A to B broken after about 2.7 MB of its 3.2 MB attachment.</summary>
    private async Task<(DocumentManifest Manifest, IReadOnlyList<OutgoingAttachment> Attachments, string RequestId)> InterruptedAsync()
    {
        IReadOnlyList<OutgoingAttachment> attachments = [hub.ClientA.Package()[0], new("so-lieu.bin", AgencyClient.RandomBytes(Size))];
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);
        var requestId = "resume-" + Guid.NewGuid().ToString("N");
        await hub.ClientA.InterruptSendAsync(manifest, attachments, requestId, attachments[0].Content.Length + 2_700_000);
        return (manifest, attachments, requestId);
    }
}
