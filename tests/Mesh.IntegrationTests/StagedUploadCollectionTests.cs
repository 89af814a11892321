using System.Security.Cryptography;
using Grpc.Core;
using Mesh.Contracts.Routing.V1;
using Mesh.Routing.Infrastructure;
using Mesh.ServiceDefaults.Errors;
using Mesh.State;
using Mesh.Storage.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.IntegrationTests;

/// <summary>Interrupted sends past their staging time, on a hub running on a fake clock.</summary>
public sealed class StagedUploadCollectionTests : TwoAgencyHubTests
{
    private const int MiB = 1024 * 1024;
    private readonly FakeTimeProvider time;

    public StagedUploadCollectionTests()
        : this(new FakeTimeProvider(DateTimeOffset.UtcNow))
    {
    }

    // The collectors run when the test says so, not when advancing the clock fires their timers.
    private StagedUploadCollectionTests(FakeTimeProvider time)
        : base("staging", new Dictionary<string, string?>
        {
            ["Mesh:Storage:StagingCollectInterval"] = "30.00:00:00",
            ["Mesh:Routing:UploadSweepInterval"] = "1.00:00:00",
            ["Mesh:Routing:UploadStagingTtl"] = "06:00:00",
        }, time) => this.time = time;

    [Fact]
    public async Task Collect_StagingExpired_DeletesTheUploadsChunksButNotOneAnAcceptedDocumentShares()
    {
        var state = Hub.Services.GetRequiredService<IStateStore>();
        var content = AgencyClient.RandomBytes(3_200_000);
        IReadOnlyList<Mesh.Testing.Routing.OutgoingAttachment> attachments = [A.Package()[0], new("so-lieu.bin", content)];
        var manifest = A.Manifest([HubFixture.B], attachments);
        var requestId = "expire-" + Guid.NewGuid().ToString("N");
        await A.InterruptSendAsync(manifest, attachments, requestId, attachments[0].Content.Length + 2_700_000);
        var staged = (await A.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId })).Attachments[1].StagedBytes;
        var stagedChunks = Enumerable.Range(0, (int)(staged / MiB)).Select(i => ChunkKey(content.AsSpan(i * MiB, MiB))).ToList();
        // Accepted while the upload is staged: its attachment starts with the upload's first MiB.
        var shared = content[..MiB].Concat(AgencyClient.RandomBytes(1000)).ToArray();
        IReadOnlyList<Mesh.Testing.Routing.OutgoingAttachment> sharing = [A.Package()[0], new("chung.bin", shared)];
        var accepted = await A.SendAsync(A.Manifest([HubFixture.B], sharing), sharing);
        time.Advance(TimeSpan.FromHours(7));

        var collected = await Hub.Services.GetRequiredService<StagedUploadCollector>().CollectAsync(CancellationToken.None);
        var swept = await Hub.Services.GetRequiredService<UploadStaging>().SweepAsync(CancellationToken.None);
        var (_, downloaded) = await B.DownloadAsync(accepted.Receipt.DocumentId);

        staged.Should().BeGreaterThanOrEqualTo(MiB);
        collected.Uploads.Should().BeGreaterThanOrEqualTo(1);
        (await state.GetAsync(stagedChunks[0])).Should().NotBeNull("the accepted document refers to it");
        foreach (var key in stagedChunks.Skip(1))
        {
            (await state.GetAsync(key)).Should().BeNull("only the expired upload referred to it");
        }

        downloaded[1].Should().Equal(shared);
        swept.Should().BeGreaterThanOrEqualTo(1);
        (await state.ScanAsync("staged/", null, 100)).Should().BeEmpty();
        var status = () => A.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId }).ResponseAsync;
        (await status.Should().ThrowAsync<RpcException>()).Which.MeshReason().Should().Be("UPLOAD_NOT_FOUND");
        var resume = () => A.SendAsync(manifest, attachments, requestId, chunks: AgencyClient.ChunksFrom(attachments, [0, staged]));
        (await resume.Should().ThrowAsync<RpcException>()).Which.MeshReason().Should().Be("UPLOAD_OFFSET_MISMATCH", "nothing is staged any more");
    }

    [Fact]
    public async Task Collect_BeforeTheStagingTime_KeepsTheUploadResumable()
    {
        var content = AgencyClient.RandomBytes(3_200_000);
        IReadOnlyList<Mesh.Testing.Routing.OutgoingAttachment> attachments = [A.Package()[0], new("so-lieu.bin", content)];
        var manifest = A.Manifest([HubFixture.B], attachments);
        var requestId = "keep-" + Guid.NewGuid().ToString("N");
        await A.InterruptSendAsync(manifest, attachments, requestId, attachments[0].Content.Length + 2_700_000);
        var staged = (await A.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId })).Attachments.Select(x => x.StagedBytes).ToList();
        time.Advance(TimeSpan.FromHours(5));

        await Hub.Services.GetRequiredService<StagedUploadCollector>().CollectAsync(CancellationToken.None);
        await Hub.Services.GetRequiredService<UploadStaging>().SweepAsync(CancellationToken.None);
        var response = await A.SendAsync(manifest, attachments, requestId, chunks: AgencyClient.ChunksFrom(attachments, staged));

        staged[1].Should().BeGreaterThanOrEqualTo(MiB);
        response.Receipt.Attachments[1].Sha256.Should().Equal(SHA256.HashData(content));
    }

    private static string ChunkKey(ReadOnlySpan<byte> chunk) => ChunkedBlobStore.ChunkKey(Mesh.Storage.Domain.Sha256Hash.Of(chunk));
}
