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
public sealed class StagedUploadCollectionTests : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
    private readonly string directory = Path.Combine(Path.GetTempPath(), "mesh-staging-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private HubProcess hub = null!;
    private AgencyClient a = null!;
    private AgencyClient b = null!;

    public async Task InitializeAsync()
    {
        // The collectors run when the test says so, not when advancing the clock fires their timers.
        hub = await HubProcess.StartAsync(directory, new Dictionary<string, string?>
        {
            ["Mesh:Storage:StagingCollectInterval"] = "30.00:00:00",
            ["Mesh:Routing:UploadSweepInterval"] = "1.00:00:00",
            ["Mesh:Routing:UploadStagingTtl"] = "06:00:00",
        }, time);
        var agencyA = await hub.EnrolAsync(HubFixture.A);
        var agencyB = await hub.EnrolAsync(HubFixture.B);
        a = new AgencyClient(agencyA, hub.Channel(agencyA.ClientCertificate));
        b = new AgencyClient(agencyB, hub.Channel(agencyB.ClientCertificate));
    }

    public async Task DisposeAsync()
    {
        a.Dispose();
        b.Dispose();
        await hub.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Collect_StagingExpired_DeletesTheUploadsChunksButNotOneAnAcceptedDocumentShares()
    {
        var state = hub.Services.GetRequiredService<IStateStore>();
        var content = AgencyClient.RandomBytes(3_200_000);
        IReadOnlyList<Mesh.Testing.Routing.OutgoingAttachment> attachments = [a.Package()[0], new("so-lieu.bin", content)];
        var manifest = a.Manifest([HubFixture.B], attachments);
        var requestId = "expire-" + Guid.NewGuid().ToString("N");
        await a.InterruptSendAsync(manifest, attachments, requestId, attachments[0].Content.Length + 2_700_000);
        var staged = (await a.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId })).Attachments[1].StagedBytes;
        var stagedChunks = Enumerable.Range(0, (int)(staged / MiB)).Select(i => ChunkKey(content.AsSpan(i * MiB, MiB))).ToList();
        // Accepted while the upload is staged: its attachment starts with the upload's first MiB.
        var shared = content[..MiB].Concat(AgencyClient.RandomBytes(1000)).ToArray();
        IReadOnlyList<Mesh.Testing.Routing.OutgoingAttachment> sharing = [a.Package()[0], new("chung.bin", shared)];
        var accepted = await a.SendAsync(a.Manifest([HubFixture.B], sharing), sharing);
        time.Advance(TimeSpan.FromHours(7));

        var collected = await hub.Services.GetRequiredService<StagedUploadCollector>().CollectAsync(CancellationToken.None);
        var swept = await hub.Services.GetRequiredService<UploadStaging>().SweepAsync(CancellationToken.None);
        var (_, downloaded) = await b.DownloadAsync(accepted.Receipt.DocumentId);

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
        var status = () => a.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId }).ResponseAsync;
        (await status.Should().ThrowAsync<RpcException>()).Which.MeshReason().Should().Be("UPLOAD_NOT_FOUND");
        var resume = () => a.SendAsync(manifest, attachments, requestId, chunks: AgencyClient.ChunksFrom(attachments, [0, staged]));
        (await resume.Should().ThrowAsync<RpcException>()).Which.MeshReason().Should().Be("UPLOAD_OFFSET_MISMATCH", "nothing is staged any more");
    }

    [Fact]
    public async Task Collect_BeforeTheStagingTime_KeepsTheUploadResumable()
    {
        var content = AgencyClient.RandomBytes(3_200_000);
        IReadOnlyList<Mesh.Testing.Routing.OutgoingAttachment> attachments = [a.Package()[0], new("so-lieu.bin", content)];
        var manifest = a.Manifest([HubFixture.B], attachments);
        var requestId = "keep-" + Guid.NewGuid().ToString("N");
        await a.InterruptSendAsync(manifest, attachments, requestId, attachments[0].Content.Length + 2_700_000);
        var staged = (await a.Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId })).Attachments.Select(x => x.StagedBytes).ToList();
        time.Advance(TimeSpan.FromHours(5));

        await hub.Services.GetRequiredService<StagedUploadCollector>().CollectAsync(CancellationToken.None);
        await hub.Services.GetRequiredService<UploadStaging>().SweepAsync(CancellationToken.None);
        var response = await a.SendAsync(manifest, attachments, requestId, chunks: AgencyClient.ChunksFrom(attachments, staged));

        staged[1].Should().BeGreaterThanOrEqualTo(MiB);
        response.Receipt.Attachments[1].Sha256.Should().Equal(SHA256.HashData(content));
    }

    private static string ChunkKey(ReadOnlySpan<byte> chunk) => ChunkedBlobStore.ChunkKey(Mesh.Storage.Domain.Sha256Hash.Of(chunk));
}
