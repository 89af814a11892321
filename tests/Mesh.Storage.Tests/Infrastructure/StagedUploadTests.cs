using Mesh.Errors;
using Mesh.Storage.Domain;
using Mesh.Storage.Infrastructure;
using Mesh.Storage.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static Mesh.Storage.Tests.Support.TestData;

namespace Mesh.Storage.Tests.Infrastructure;

/// <summary>Puts that do not complete: what they stage, how they resume, and what the collector deletes.</summary>
public sealed class StagedUploadTests : IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(24);
    private readonly IBlobStorage _storage;
    private readonly InMemoryStateStore _state;
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time;
    private readonly ServiceProvider _services;
    private readonly StagedUploadCollector _collector;

    public StagedUploadTests()
    {
        (_storage, _state, _time, _services) = StorageHost.InProcess();
        _collector = _services.GetRequiredService<StagedUploadCollector>();
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task PutAsync_StreamBrokenAfterTwoAndAHalfChunks_StagesTheTwoWholeChunksAndNoBlob()
    {
        var content = Random((3 * MiB) + (MiB / 2), seed: 11);

        await InterruptAsync("send/a/1/0", content, brokenAfter: (2 * MiB) + (MiB / 2));
        var staged = await _storage.GetStagedAsync("send/a/1/0");

        staged.Should().NotBeNull("a put broken mid-stream with a staging key is recorded for resume");
        staged!.Size.Should().Be(2 * MiB, "only whole chunks are durable; the half chunk was still in memory");
        staged.ExpectedSha256.Should().Be(Sha256Hash.Of(content));
        staged.ExpectedSize.Should().Be(content.Length);
        staged.ExpireTime.Should().Be(StorageHost.Now + Ttl);
        _state.CountKeys("blob/").Should().Be(0, "staged bytes are not a blob");
        _state.CountKeys("chunk/").Should().Be(2);
    }

    [Fact]
    public async Task PutAsync_ResumedAtTheStagedOffset_StoresTheWholeContentUnderItsDigestAndClearsTheStaging()
    {
        var content = Random((3 * MiB) + 1234, seed: 12);
        await InterruptAsync("send/a/2/0", content, brokenAfter: (2 * MiB) + 10);
        var bytesBefore = _state.BytesCopied;

        var put = await _storage.PutAsync(Segments(content[(2 * MiB)..]), Resuming("send/a/2/0", content, from: 2 * MiB));
        await using var read = await _storage.OpenReadAsync(put.Blob.Id);

        put.Created.Should().BeTrue();
        put.Blob.Id.Should().Be(Sha256Hash.Of(content));
        put.Blob.Size.Should().Be(content.Length);
        (await ReadAllAsync(read.Content)).Should().Equal(content);
        (await _storage.GetStagedAsync("send/a/2/0")).Should().BeNull();
        _state.CountKeys("staged/").Should().Be(0, "a completed upload leaves no staging record");
        (_state.BytesCopied - bytesBefore).Should().BeLessThan(content.Length - (2 * MiB) + (64 * 1024), "the staged chunks were read back, not written again");
    }

    [Fact]
    public async Task PutAsync_ResumedTwice_StagesTheLongerPrefixAndCompletes()
    {
        var content = Random((4 * MiB) + 5, seed: 13);
        await InterruptAsync("send/a/3/0", content, brokenAfter: MiB + 10);
        await InterruptAsync("send/a/3/0", content, brokenAfter: (3 * MiB) + 10, resumeFrom: MiB);

        (await _storage.GetStagedAsync("send/a/3/0"))!.Size.Should().Be(3 * MiB);
        var put = await _storage.PutAsync(Segments(content[(3 * MiB)..]), Resuming("send/a/3/0", content, from: 3 * MiB));

        put.Blob.Id.Should().Be(Sha256Hash.Of(content));
    }

    [Theory]
    [InlineData(MiB)]
    [InlineData((2 * MiB) + 1)]
    public async Task PutAsync_ResumeAtAnotherOffset_RefusedWithStagedOffsetMismatch(int from)
    {
        var content = Random(3 * MiB, seed: 14);
        await InterruptAsync("send/a/4/0", content, brokenAfter: (2 * MiB) + 10);

        var act = async () => await _storage.PutAsync(Segments(content[from..]), Resuming("send/a/4/0", content, from));

        (await act.Should().ThrowAsync<MeshException>()).Which.Should().Match<MeshException>(e => e.Kind == ErrorKind.FailedPrecondition && e.Reason == StorageReasons.StagedOffsetMismatch);
        (await _storage.GetStagedAsync("send/a/4/0"))!.Size.Should().Be(2 * MiB, "a refused resume leaves the staging as it was");
    }

    [Fact]
    public async Task PutAsync_ResumeOtherContentUnderTheSameKey_RefusedWithStagedOffsetMismatch()
    {
        var content = Random(3 * MiB, seed: 15);
        var other = Random(3 * MiB, seed: 16);
        await InterruptAsync("send/a/5/0", content, brokenAfter: (2 * MiB) + 10);

        var act = async () => await _storage.PutAsync(Segments(other[(2 * MiB)..]), Resuming("send/a/5/0", other, from: 2 * MiB));

        (await act.Should().ThrowAsync<MeshException>()).Which.Reason.Should().Be(StorageReasons.StagedOffsetMismatch);
    }

    [Fact]
    public async Task PutAsync_ResumeWithADamagedStagedChunk_RefusedWithStagingLostAndNothingLeftToResume()
    {
        var content = Random(3 * MiB, seed: 17);
        await InterruptAsync("send/a/6/0", content, brokenAfter: (2 * MiB) + 10);
        var second = Sha256Hash.Of(content.AsSpan(MiB, MiB));
        await _state.SetAsync(ChunkedBlobStore.ChunkKey(second), Random(MiB, seed: 99));

        var act = async () => await _storage.PutAsync(Segments(content[(2 * MiB)..]), Resuming("send/a/6/0", content, from: 2 * MiB));

        (await act.Should().ThrowAsync<MeshException>()).Which.Reason.Should().Be(StorageReasons.StagingLost);
        (await _storage.GetStagedAsync("send/a/6/0")).Should().BeNull("the client starts again at 0");
        _state.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task PutAsync_ResumedWithAWrongTail_RefusedWithDigestMismatchAndNotResumable()
    {
        var content = Random(3 * MiB, seed: 18);
        await InterruptAsync("send/a/7/0", content, brokenAfter: (2 * MiB) + 10);
        var tampered = (byte[])content.Clone();
        tampered[^1] ^= 0xff;

        var act = async () => await _storage.PutAsync(Segments(tampered[(2 * MiB)..]), Resuming("send/a/7/0", content, from: 2 * MiB));

        (await act.Should().ThrowAsync<MeshException>()).Which.Reason.Should().Be(StorageReasons.DigestMismatch, "the staged prefix and the rest are hashed as one content");
        (await _storage.GetStagedAsync("send/a/7/0")).Should().BeNull();
    }

    [Fact]
    public async Task CollectAsync_BeforeTheStagingTime_KeepsTheStagedUpload()
    {
        var content = Random(3 * MiB, seed: 19);
        await InterruptAsync("send/a/8/0", content, brokenAfter: (2 * MiB) + 10);
        _time.Advance(Ttl - TimeSpan.FromMinutes(1));

        var collected = await _collector.CollectAsync(CancellationToken.None);

        collected.Uploads.Should().Be(0);
        (await _storage.GetStagedAsync("send/a/8/0"))!.Size.Should().Be(2 * MiB);
        _state.CountKeys("chunk/").Should().Be(2);
    }

    [Fact]
    public async Task CollectAsync_AfterTheStagingTime_DeletesTheChunksTheUploadCreatedAndItsRecord()
    {
        var content = Random(3 * MiB, seed: 20);
        await InterruptAsync("send/a/9/0", content, brokenAfter: (2 * MiB) + 10);
        _time.Advance(Ttl + TimeSpan.FromMinutes(1));

        var collected = await _collector.CollectAsync(CancellationToken.None);

        collected.Should().Be(new StagingCollection(Uploads: 1, ChunksDeleted: 2, ChunksKept: 0));
        _state.CountKeys("chunk/").Should().Be(0);
        _state.CountKeys("staged").Should().Be(0, "neither staged/ nor staged-collect/ records remain");
        var resume = async () => await _storage.PutAsync(Segments(content[(2 * MiB)..]), Resuming("send/a/9/0", content, from: 2 * MiB));
        (await resume.Should().ThrowAsync<MeshException>()).Which.Reason.Should().Be(StorageReasons.StagedOffsetMismatch);
    }

    [Fact]
    public async Task CollectAsync_ChunkStoredAfterwardsInACompletedBlob_IsKeptAndTheBlobReadsBackWhole()
    {
        var content = Random(3 * MiB, seed: 21);
        await InterruptAsync("send/a/10/0", content, brokenAfter: (2 * MiB) + 10);
        var accepted = content[..MiB].Concat(Random(1000, seed: 22)).ToArray();
        var blob = await _storage.PutAsync(Segments(accepted), Expecting(accepted));
        _time.Advance(Ttl + TimeSpan.FromMinutes(1));

        var collected = await _collector.CollectAsync(CancellationToken.None);
        await using var read = await _storage.OpenReadAsync(blob.Blob.Id);

        collected.Should().Be(new StagingCollection(Uploads: 1, ChunksDeleted: 1, ChunksKept: 1));
        (await ReadAllAsync(read.Content)).Should().Equal(accepted);
    }

    [Fact]
    public async Task CollectAsync_ChunkABlobHadBeforeTheUpload_IsNotTheUploadsToDelete()
    {
        var content = Random(3 * MiB, seed: 23);
        var accepted = content[..MiB].Concat(Random(1000, seed: 24)).ToArray();
        var blob = await _storage.PutAsync(Segments(accepted), Expecting(accepted));
        await InterruptAsync("send/a/11/0", content, brokenAfter: (2 * MiB) + 10);
        _time.Advance(Ttl + TimeSpan.FromMinutes(1));

        var collected = await _collector.CollectAsync(CancellationToken.None);
        await using var read = await _storage.OpenReadAsync(blob.Blob.Id);

        collected.Should().Be(new StagingCollection(Uploads: 1, ChunksDeleted: 1, ChunksKept: 0), "the upload created only its second chunk");
        (await ReadAllAsync(read.Content)).Should().Equal(accepted);
    }

    [Fact]
    public async Task CollectAsync_ResumedAndCompletedUpload_LeavesItsChunksToTheBlob()
    {
        var content = Random(3 * MiB, seed: 25);
        await InterruptAsync("send/a/12/0", content, brokenAfter: (2 * MiB) + 10);
        var put = await _storage.PutAsync(Segments(content[(2 * MiB)..]), Resuming("send/a/12/0", content, from: 2 * MiB));
        _time.Advance(Ttl + TimeSpan.FromMinutes(1));

        var collected = await _collector.CollectAsync(CancellationToken.None);
        await using var read = await _storage.OpenReadAsync(put.Blob.Id);

        collected.Uploads.Should().Be(0);
        (await ReadAllAsync(read.Content)).Should().Equal(content);
    }

    [Fact]
    public async Task PutAsync_StagingCollectedWhileBeingResumed_RefusedWithStagingLostAndNoBlob()
    {
        var content = Random(3 * MiB, seed: 29);
        await InterruptAsync("send/a/15/0", content, brokenAfter: (2 * MiB) + 10);

        async IAsyncEnumerable<ReadOnlyMemory<byte>> CollectedMeanwhile()
        {
            // The resume has read the staged prefix back; the staging time passes and the collector runs.
            _time.Advance(Ttl + TimeSpan.FromMinutes(1));
            (await _collector.CollectAsync(CancellationToken.None)).ChunksDeleted.Should().Be(2);
            await foreach (var segment in Segments(content[(2 * MiB)..]))
            {
                yield return segment;
            }
        }

        var act = async () => await _storage.PutAsync(CollectedMeanwhile(), Resuming("send/a/15/0", content, from: 2 * MiB));

        (await act.Should().ThrowAsync<MeshException>()).Which.Reason.Should().Be(StorageReasons.StagingLost, "the blob would refer to deleted chunks");
        _state.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task CollectAsync_RefusedContent_IsCollectedAtTheNextRunWithoutWaitingForTheStagingTime()
    {
        var content = Random(3 * MiB, seed: 26);
        var declared = Random(3 * MiB, seed: 27);

        var act = async () => await _storage.PutAsync(Segments(content), new BlobPutRequest("application/octet-stream")
        {
            ExpectedSha256 = Sha256Hash.Of(declared),
            ExpectedSize = declared.Length,
            Staging = new BlobStaging("send/a/13/0", Ttl),
        });
        await act.Should().ThrowAsync<MeshException>();
        var collected = await _collector.CollectAsync(CancellationToken.None);

        collected.Should().Be(new StagingCollection(Uploads: 1, ChunksDeleted: 3, ChunksKept: 0));
        _state.CountKeys("chunk/").Should().Be(0);
    }

    [Fact]
    public async Task CollectAsync_CollectionStoppedHalfWay_IsFinishedByTheNextRun()
    {
        var content = Random(3 * MiB, seed: 28);
        await InterruptAsync("send/a/14/0", content, brokenAfter: (2 * MiB) + 10);
        var record = (await _state.GetAsync(ChunkedBlobStore.StagedKey("send/a/14/0")))!;
        await _state.TransactAsync([Mesh.State.StateOperation.Delete(record.Key), Mesh.State.StateOperation.Upsert("staged-collect/send/a/14/0", record.Value)]);

        var collected = await _collector.CollectAsync(CancellationToken.None);

        collected.ChunksDeleted.Should().Be(2);
        _state.CountKeys("staged").Should().Be(0);
    }

    private static BlobPutRequest Expecting(byte[] content) =>
        new("application/pdf") { ExpectedSha256 = Sha256Hash.Of(content), ExpectedSize = content.Length };

    private static BlobPutRequest Resuming(string key, byte[] content, long from) => new("application/octet-stream")
    {
        ExpectedSha256 = Sha256Hash.Of(content),
        ExpectedSize = content.Length,
        Staging = new BlobStaging(key, Ttl) { ResumeFrom = from },
    };

    /// <summary>A put of <paramref name="content"/> (from <paramref name="resumeFrom"/>) whose stream breaks after <paramref name="brokenAfter"/> bytes of the content.</summary>
    private async Task InterruptAsync(string key, byte[] content, int brokenAfter, int resumeFrom = 0)
    {
        var act = async () => await _storage.PutAsync(Broken(content[resumeFrom..brokenAfter]), Resuming(key, content, resumeFrom));

        await act.Should().ThrowAsync<IOException>();
    }

}
