using Mesh.Errors;
using Mesh.State;
using Mesh.Storage.Domain;
using Mesh.Storage.Infrastructure;
using Mesh.Storage.Tests.Support;
using static Mesh.Storage.Tests.Support.TestData;

namespace Mesh.Storage.Tests.Infrastructure;

public sealed class ChunkedBlobStoreTests : IDisposable
{
    private readonly IBlobStorage _storage;
    private readonly InMemoryStateStore _state;
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time;
    private readonly IDisposable _services;

    public ChunkedBlobStoreTests()
    {
        (_storage, _state, _time, var services) = StorageHost.InProcess();
        _services = services;
    }

    public void Dispose() => _services.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(MiB)]
    [InlineData(MiB + 1)]
    [InlineData((3 * MiB) + 12345)]
    public async Task PutAsync_ThenOpenReadAsync_ReturnsTheSameBytes(int size)
    {
        var content = Random(size, seed: size);

        var put = await _storage.PutAsync(Segments(content, 100_000), Expecting(content));
        await using var read = await _storage.OpenReadAsync(put.Blob.Id);
        var roundTripped = await ReadAllAsync(read.Content);

        roundTripped.Should().Equal(content);
        put.Created.Should().BeTrue();
        put.Blob.Id.Should().Be(Sha256Hash.Of(content));
        put.Blob.Size.Should().Be(size);
        put.Blob.ChunkCount.Should().Be((size + MiB - 1) / MiB);
        _state.CountKeys("chunk/").Should().Be(put.Blob.ChunkCount);
    }

    [Fact]
    public async Task PutAsync_Stream_StoresTheStreamContent()
    {
        var content = Random((2 * MiB) + 3);
        using var stream = new MemoryStream(content);

        var put = await _storage.PutAsync(stream, new BlobPutRequest("application/pdf"));

        put.Blob.Id.Should().Be(Sha256Hash.Of(content));
        put.Blob.MediaType.Should().Be("application/pdf");
    }

    [Fact]
    public async Task PutAsync_SameContentTwice_SecondIsNotCreatedAndStoresNoNewChunk()
    {
        var content = Random((2 * MiB) + 5);
        await _storage.PutAsync(Segments(content), Expecting(content));
        var chunksBefore = _state.CountKeys("chunk/");

        var second = await _storage.PutAsync(Segments(content), new BlobPutRequest("application/pdf"));
        var bytesBefore = _state.BytesCopied;
        var third = await _storage.PutAsync(Segments(content), Expecting(content));

        second.Created.Should().BeFalse();
        third.Created.Should().BeFalse();
        _state.CountKeys("chunk/").Should().Be(chunksBefore);
        _state.CountKeys("blob/").Should().Be(1);
        _state.BytesCopied.Should().Be(bytesBefore, "known content (its digest given, as routing always does) is only hashed, not written again");
    }

    [Fact]
    public async Task PutAsync_NewBlobRepeatingAStoredChunk_WritesThatChunkAgainSoItsETagChanges()
    {
        var shared = Random(MiB, seed: 31);
        var first = shared.Concat(Random(10, seed: 32)).ToArray();
        var second = shared.Concat(Random(20, seed: 33)).ToArray();
        await _storage.PutAsync(Segments(first), Expecting(first));
        var before = (await _state.GetAsync(ChunkedBlobStore.ChunkKey(Sha256Hash.Of(shared))))!.ETag;

        await _storage.PutAsync(Segments(second), Expecting(second));

        (await _state.GetAsync(ChunkedBlobStore.ChunkKey(Sha256Hash.Of(shared))))!.ETag.Should().NotBe(before, "a staged upload's collector deletes a chunk only under the ETag its creation gave it");
    }

    [Fact]
    public async Task PutAsync_TwoBlobsSharingAChunk_StoresTheSharedChunkOnce()
    {
        var shared = Random(MiB, seed: 1);
        var first = shared.Concat(Random(MiB, seed: 2)).ToArray();
        var second = shared.Concat(Random(100, seed: 3)).ToArray();

        await _storage.PutAsync(Segments(first), Expecting(first));
        await _storage.PutAsync(Segments(second), Expecting(second));

        _state.CountKeys("blob/").Should().Be(2);
        _state.CountKeys("chunk/").Should().Be(3);
    }

    [Fact]
    public async Task PutAsync_ConcurrentPutsOfTheSameContent_ExactlyOneCreates()
    {
        var content = Random((2 * MiB) + 1);

        var results = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(_ => _storage.PutAsync(Segments(content), Expecting(content)).AsTask()));

        results.Count(r => r.Created).Should().Be(1);
        results.Select(r => r.Blob.Id).Distinct().Should().ContainSingle();
        _state.CountKeys("chunk/").Should().Be(3);
    }

    [Fact]
    public async Task PutAsync_DigestMismatch_RefusedAndNothingVisible()
    {
        var content = Random(MiB + 10);
        var request = new BlobPutRequest("application/pdf") { ExpectedSha256 = Sha256Hash.Of(Random(10, seed: 9)) };

        var act = async () => await _storage.PutAsync(Segments(content), request);

        await act.ShouldFailWith(ErrorKind.InvalidArgument, StorageReasons.DigestMismatch);
        _state.CountKeys("blob/").Should().Be(0);
        await ((Func<Task>)(async () => await _storage.StatAsync(Sha256Hash.Of(content)))).ShouldFailWith(ErrorKind.NotFound, StorageReasons.BlobNotFound);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1002)]
    public async Task PutAsync_SizeMismatch_RefusedAndNothingVisible(long expectedSize)
    {
        var content = Random(1001);
        var request = new BlobPutRequest("application/pdf") { ExpectedSize = expectedSize };

        var act = async () => await _storage.PutAsync(Segments(content, 100), request);

        await act.ShouldFailWith(ErrorKind.InvalidArgument, StorageReasons.SizeMismatch);
        _state.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task PutAsync_OverTheMaximumSize_RefusedAsResourceExhausted()
    {
        var (storage, state, _, services) = StorageHost.InProcess(StorageHost.Settings(chunkSize: 64 * 1024, maxBlobSize: 100_000));
        await using var _ = services;

        var act = async () => await storage.PutAsync(Segments(Random(100_001)), new BlobPutRequest("application/pdf"));

        await act.ShouldFailWith(ErrorKind.ResourceExhausted, StorageReasons.BlobTooLarge);
        state.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task PutAsync_InvalidMediaType_RefusedAsInvalidArgument()
    {
        var act = async () => await _storage.PutAsync(Segments(Random(10)), new BlobPutRequest("not a media type\n"));

        await act.ShouldFailWith(ErrorKind.InvalidArgument, StorageReasons.MediaTypeInvalid);
    }

    [Fact]
    public async Task PutAsync_Cancelled_ThrowsAndNothingVisible()
    {
        using var cancellation = new CancellationTokenSource();
        var content = Random(3 * MiB);

        var act = async () => await _storage.PutAsync(CancelAfterFirstSegment(content, cancellation), Expecting(content), cancellation.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        _state.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task PutAsync_KnownContentWithLaterRetention_ExtendsTheRetention()
    {
        var content = Random(10);
        var first = await _storage.PutAsync(Segments(content), Expecting(content));
        var later = first.Blob.RetainUntil.AddYears(20);

        var second = await _storage.PutAsync(Segments(content), Expecting(content) with { RetainUntil = later });

        second.Created.Should().BeFalse();
        second.Blob.RetainUntil.Should().Be(later);
        (await _storage.StatAsync(first.Blob.Id)).RetainUntil.Should().Be(later);
    }

    [Fact]
    public async Task PutAsync_NoRetentionGiven_KeepsForTheDefaultRetention()
    {
        var content = Random(10);

        var put = await _storage.PutAsync(Segments(content), Expecting(content));

        put.Blob.CreateTime.Should().Be(StorageHost.Now);
        put.Blob.RetainUntil.Should().Be(StorageHost.Now + new StorageOptions().DefaultRetention);
    }

    [Theory]
    [InlineData(0L, 1L)]
    [InlineData(MiB - 1L, 2L)]
    [InlineData(MiB, MiB)]
    [InlineData(10L, (2L * MiB) + 5)]
    [InlineData((3L * MiB) - 10, 0L)]
    public async Task OpenReadAsync_Range_ReturnsExactlyThoseBytes(long offset, long length)
    {
        var content = Random((3 * MiB) + 7);
        var put = await _storage.PutAsync(Segments(content), Expecting(content));

        await using var read = await _storage.OpenReadAsync(put.Blob.Id, offset, length);
        var bytes = await ReadAllAsync(read.Content);

        var expectedLength = length == 0 ? content.Length - offset : length;
        bytes.Should().Equal(content.AsSpan((int)offset, (int)expectedLength).ToArray());
        read.Range.Should().Be(new ByteRange(offset, expectedLength));
    }

    [Fact]
    public async Task OpenReadAsync_UnknownBlob_ThrowsBlobNotFound()
    {
        var act = async () => await _storage.OpenReadAsync(Sha256Hash.Of(Random(5)));

        await act.ShouldFailWith(ErrorKind.NotFound, StorageReasons.BlobNotFound);
    }

    [Fact]
    public async Task OpenReadAsync_CorruptedSecondChunk_FailsAfterExactlyTheFirstChunk()
    {
        var content = Random((2 * MiB) + 100);
        var put = await _storage.PutAsync(Segments(content), Expecting(content));
        await CorruptChunkAsync(content, index: 1);
        var received = new MemoryStream();

        await using var read = await _storage.OpenReadAsync(put.Blob.Id);
        var act = async () =>
        {
            await foreach (var segment in read.Content)
            {
                received.Write(segment.Span);
            }
        };

        await act.ShouldFailWith(ErrorKind.DataLoss, StorageReasons.BlobCorrupted);
        received.ToArray().Should().Equal(content.AsSpan(0, MiB).ToArray());
    }

    [Fact]
    public async Task OpenReadAsync_MissingChunk_ThrowsBlobCorrupted()
    {
        var content = Random(MiB + 1);
        var put = await _storage.PutAsync(Segments(content), Expecting(content));
        await _state.DeleteAsync(ChunkedBlobStore.ChunkKey(Sha256Hash.Of(content.AsSpan(MiB))));

        await using var read = await _storage.OpenReadAsync(put.Blob.Id, offset: MiB);
        var act = async () => await ReadAllAsync(read.Content);

        await act.ShouldFailWith(ErrorKind.DataLoss, StorageReasons.BlobCorrupted);
    }

    [Fact]
    public async Task OpenReadAsync_ManifestPointingAtAnotherIntactChunk_FailsTheWholeBlobCheck()
    {
        var content = Random(1000, seed: 1);
        var other = Random(1000, seed: 2);
        var put = await _storage.PutAsync(Segments(content), Expecting(content));
        await _storage.PutAsync(Segments(other), Expecting(other));
        var forged = new BlobManifest(put.Blob, ChunkLayout.DefaultChunkSize, Sha256Hash.Of(other).ToArray());
        await _state.SetAsync(ChunkedBlobStore.BlobKey(put.Blob.Id), BlobManifestCodec.Encode(forged));

        await using var read = await _storage.OpenReadAsync(put.Blob.Id);
        var act = async () => await ReadAllAsync(read.Content);

        await act.ShouldFailWith(ErrorKind.DataLoss, StorageReasons.BlobCorrupted);
    }

    [Fact]
    public async Task StatAsync_UnreadableManifest_ThrowsBlobCorrupted()
    {
        var content = Random(10);
        var put = await _storage.PutAsync(Segments(content), Expecting(content));
        await _state.SetAsync(ChunkedBlobStore.BlobKey(put.Blob.Id), "{\"v\":1,\"size\":"u8.ToArray());

        var act = async () => await _storage.StatAsync(put.Blob.Id);

        await act.ShouldFailWith(ErrorKind.DataLoss, StorageReasons.BlobCorrupted);
    }

    [Fact]
    public async Task UpdateRetentionAsync_EarlierTime_LeavesTheRetentionUnchanged()
    {
        var content = Random(10);
        var put = await _storage.PutAsync(Segments(content), Expecting(content));

        var updated = await _storage.UpdateRetentionAsync(put.Blob.Id, put.Blob.RetainUntil.AddDays(-1));

        updated.RetainUntil.Should().Be(put.Blob.RetainUntil);
        (await _storage.StatAsync(put.Blob.Id)).RetainUntil.Should().Be(put.Blob.RetainUntil);
    }

    [Fact]
    public async Task UpdateRetentionAsync_LaterTime_ExtendsTheRetention()
    {
        var content = Random(10);
        var put = await _storage.PutAsync(Segments(content), Expecting(content));
        _time.Advance(TimeSpan.FromDays(400));

        var updated = await _storage.UpdateRetentionAsync(put.Blob.Id, put.Blob.RetainUntil.AddYears(60));

        updated.RetainUntil.Should().Be(put.Blob.RetainUntil.AddYears(60));
        updated.CreateTime.Should().Be(put.Blob.CreateTime);
    }

    [Fact]
    public async Task UpdateRetentionAsync_UnknownBlob_ThrowsBlobNotFound()
    {
        var act = async () => await _storage.UpdateRetentionAsync(Sha256Hash.Of(Random(3)), StorageHost.Now.AddYears(1));

        await act.ShouldFailWith(ErrorKind.NotFound, StorageReasons.BlobNotFound);
    }

    private static BlobPutRequest Expecting(byte[] content) =>
        new("application/pdf") { ExpectedSha256 = Sha256Hash.Of(content), ExpectedSize = content.Length };

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> CancelAfterFirstSegment(byte[] content, CancellationTokenSource cancellation)
    {
        await Task.Yield();
        yield return content.AsMemory(0, MiB);
        await cancellation.CancelAsync();
        yield return content.AsMemory(MiB);
    }

    private async Task CorruptChunkAsync(byte[] content, int index)
    {
        var chunk = content.AsSpan(index * MiB, Math.Min(MiB, content.Length - (index * MiB))).ToArray();
        var key = ChunkedBlobStore.ChunkKey(Sha256Hash.Of(chunk));
        chunk[chunk.Length / 2] ^= 0x40;
        await _state.SetAsync(key, chunk);
    }
}
