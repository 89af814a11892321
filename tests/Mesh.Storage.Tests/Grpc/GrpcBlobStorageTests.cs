using Mesh.Errors;
using Mesh.Storage.Domain;
using Mesh.Storage.Infrastructure;
using Mesh.Storage.Tests.Support;
using static Mesh.Storage.Tests.Support.TestData;

namespace Mesh.Storage.Tests.Grpc;

/// <summary>The gRPC-client adapter behaves like the in-process store, errors included.</summary>
public sealed class GrpcBlobStorageTests : IAsyncLifetime
{
    private StorageServer _server = null!;

    private IBlobStorage Remote => _server.RemoteStorage;

    public async Task InitializeAsync() => _server = await StorageServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task PutAsync_ThenOpenReadAsync_RoundTripsThroughTheService()
    {
        var content = Random((2 * MiB) + 77);
        using var stream = new MemoryStream(content);

        var put = await Remote.PutAsync(stream, new BlobPutRequest("application/pdf") { ExpectedSha256 = Sha256Hash.Of(content), ExpectedSize = content.Length });
        await using var read = await Remote.OpenReadAsync(put.Blob.Id, offset: 5);
        var data = await ReadAllAsync(read.Content);

        put.Created.Should().BeTrue();
        put.Blob.Id.Should().Be(Sha256Hash.Of(content));
        read.Blob.Should().Be(put.Blob);
        read.Range.Should().Be(new ByteRange(5, content.Length - 5));
        data.Should().Equal(content.AsSpan(5).ToArray());
        (await Remote.StatAsync(put.Blob.Id)).Should().Be(put.Blob);
    }

    [Fact]
    public async Task GetStagedAsyncAndResumeFrom_ThroughTheService_ReportTheStagedPrefixAndCompleteTheBlob()
    {
        var content = Random(3 * MiB, seed: 41);
        var staging = new BlobStaging("send/x/1/0", TimeSpan.FromHours(1));
        var request = new BlobPutRequest("application/octet-stream") { ExpectedSha256 = Sha256Hash.Of(content), ExpectedSize = content.Length, Staging = staging };
        var interrupted = async () => await _server.LocalStorage.PutAsync(Broken(content[..((2 * MiB) + 10)]), request);
        await interrupted.Should().ThrowAsync<IOException>();

        var staged = await Remote.GetStagedAsync("send/x/1/0");
        var put = await Remote.PutAsync(Segments(content[(2 * MiB)..]), request with { Staging = staging with { ResumeFrom = 2 * MiB } });

        staged.Should().Be(new StagedUpload("send/x/1/0", 2 * MiB, Sha256Hash.Of(content), content.Length, StorageHost.Now + TimeSpan.FromHours(1)));
        put.Blob.Id.Should().Be(Sha256Hash.Of(content));
        (await Remote.GetStagedAsync("send/x/1/0")).Should().BeNull();
        (await Remote.GetStagedAsync("send/x/never")).Should().BeNull();
    }

    [Fact]
    public async Task PutAsync_ResumeFromNothingStaged_ThrowsStagedOffsetMismatchAsInProcess()
    {
        var content = Random(MiB, seed: 42);
        var request = new BlobPutRequest("application/octet-stream")
        {
            ExpectedSha256 = Sha256Hash.Of(content),
            ExpectedSize = content.Length,
            Staging = new BlobStaging("send/x/2/0", TimeSpan.FromHours(1)) { ResumeFrom = 4096 },
        };

        var act = async () => await Remote.PutAsync(Segments(content[4096..]), request);

        (await act.Should().ThrowAsync<MeshException>()).Which.Should().Match<MeshException>(e => e.Kind == ErrorKind.FailedPrecondition && e.Reason == StorageReasons.StagedOffsetMismatch);
    }

    [Fact]
    public async Task PutAsync_DigestMismatch_ThrowsTheSameReasonAsInProcess()
    {
        var request = new BlobPutRequest("application/pdf") { ExpectedSha256 = Sha256Hash.Of(Random(1, seed: 5)) };

        var act = async () => await Remote.PutAsync(Segments(Random(100)), request);

        await act.ShouldFailWith(ErrorKind.InvalidArgument, StorageReasons.DigestMismatch);
    }

    [Fact]
    public async Task PutAsync_RefusedWhileStillSending_ThrowsTheRefusalNotACancellation()
    {
        var request = new BlobPutRequest("application/pdf") { ExpectedSize = 10 };

        var act = async () => await Remote.PutAsync(Segments(Random(8 * MiB), MiB), request);

        await act.ShouldFailWith(ErrorKind.InvalidArgument, StorageReasons.SizeMismatch);
        _server.State.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task OpenReadAsync_UnknownBlob_ThrowsBlobNotFound()
    {
        var act = async () => await Remote.OpenReadAsync(Sha256Hash.Of(Random(7)));

        await act.ShouldFailWith(ErrorKind.NotFound, StorageReasons.BlobNotFound);
    }

    [Fact]
    public async Task OpenReadAsync_CorruptedChunk_ThrowsBlobCorruptedWhileReading()
    {
        var content = Random(2 * MiB);
        var put = await Remote.PutAsync(Segments(content), new BlobPutRequest("application/pdf"));
        var lastChunk = content.AsSpan(MiB).ToArray();
        var key = ChunkedBlobStore.ChunkKey(Sha256Hash.Of(lastChunk));
        lastChunk[^1] ^= 1;
        await _server.State.SetAsync(key, lastChunk);

        await using var read = await Remote.OpenReadAsync(put.Blob.Id);
        var act = async () => await ReadAllAsync(read.Content);

        await act.ShouldFailWith(ErrorKind.DataLoss, StorageReasons.BlobCorrupted);
    }

    [Fact]
    public async Task UpdateRetentionAsync_LaterTime_Extends()
    {
        var put = await Remote.PutAsync(Segments(Random(10)), new BlobPutRequest("text/plain"));

        var updated = await Remote.UpdateRetentionAsync(put.Blob.Id, put.Blob.RetainUntil.AddYears(1));

        updated.RetainUntil.Should().Be(put.Blob.RetainUntil.AddYears(1));
    }
}
