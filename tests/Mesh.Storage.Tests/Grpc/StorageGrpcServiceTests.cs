using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Storage.V1;
using Mesh.Storage.Domain;
using Mesh.Storage.Infrastructure;
using Mesh.Storage.Tests.Support;
using static Mesh.Storage.Tests.Support.TestData;

namespace Mesh.Storage.Tests.Grpc;

public sealed class StorageGrpcServiceTests : IAsyncLifetime
{
    private StorageServer _server = null!;

    private StorageService.StorageServiceClient Client => _server.Client;

    public async Task InitializeAsync() => _server = await StorageServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(MiB)]
    [InlineData(MiB + 1)]
    [InlineData((10 * MiB) + 4321)]
    public async Task PutBlob_ThenGetBlob_ReturnsTheSameBytes(int size)
    {
        var content = Random(size, seed: size + 7);

        var put = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content), messageSize: 300_000);
        var (messages, data) = await Client.GetAsync(put.Blob.Sha256);

        data.Should().Equal(content);
        put.Created.Should().BeTrue();
        put.Blob.Sha256.Should().Equal(StorageClientExtensions.Sha256Of(content));
        put.Blob.Name.Should().Be($"blobs/{Convert.ToHexStringLower(put.Blob.Sha256.Span)}");
        put.Blob.Size.Should().Be(size);
        put.Blob.ChunkCount.Should().Be((size + MiB - 1) / MiB);
        messages[0].Blob.Should().Be(put.Blob);
        messages.Skip(1).Where(m => m.Blob != null).Should().BeEmpty("only the first message carries the metadata");
        messages.Should().OnlyContain(m => m.Data.Length <= MiB);
        messages.Select(m => m.Offset).Should().Equal(RunningOffsets(messages));
    }

    [Theory]
    [InlineData(0L, 1L)]
    [InlineData(MiB - 1L, 2L)]
    [InlineData(MiB, MiB)]
    [InlineData(12345L, (2L * MiB) + 1)]
    [InlineData(500L, 0L)]
    [InlineData((3L * MiB) - 3, 10L)]
    public async Task GetBlob_Range_ReturnsExactlyThoseBytesAtTheirOffsets(long offset, long length)
    {
        var content = Random((3 * MiB) + 7);
        var put = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content));

        var (messages, data) = await Client.GetAsync(put.Blob.Sha256, offset, length);

        var expectedLength = length == 0 ? content.Length - offset : length;
        data.Should().Equal(content.AsSpan((int)offset, (int)expectedLength).ToArray());
        messages[0].Offset.Should().Be(offset);
        messages[0].Blob.Size.Should().Be(content.Length);
    }

    [Fact]
    public async Task GetBlob_OffsetAtTheEnd_ReturnsOnlyTheMetadata()
    {
        var content = Random(100);
        var put = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content));

        var (messages, data) = await Client.GetAsync(put.Blob.Sha256, offset: 100);

        data.Should().BeEmpty();
        messages.Should().ContainSingle().Which.Blob.Should().Be(put.Blob);
    }

    [Fact]
    public async Task GetBlob_RangeBeyondTheEnd_InvalidArgumentRangeInvalid()
    {
        var content = Random(100);
        var put = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content));

        var act = () => Client.GetAsync(put.Blob.Sha256, offset: 50, length: 51);

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.RangeInvalid);
    }

    [Fact]
    public async Task PutBlob_SameContentTwice_SecondNotCreatedAndChunkCountUnchanged()
    {
        var content = Random((2 * MiB) + 1);
        var first = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content));
        var chunks = _server.State.CountKeys("chunk/");

        var second = await Client.PutAsync(content, new PutBlobHeader { MediaType = "application/pdf" });

        second.Created.Should().BeFalse();
        second.Blob.Should().Be(first.Blob);
        _server.State.CountKeys("chunk/").Should().Be(chunks);
    }

    [Fact]
    public async Task PutBlob_TwoBlobsSharingAChunk_StoresItOnce()
    {
        var shared = Random(MiB, seed: 11);
        var first = shared.Concat(Random(5, seed: 12)).ToArray();
        var second = shared.Concat(Random(6, seed: 13)).ToArray();

        await Client.PutAsync(first, StorageClientExtensions.HeaderFor(first));
        await Client.PutAsync(second, StorageClientExtensions.HeaderFor(second));

        _server.State.CountKeys("chunk/").Should().Be(3);
    }

    [Fact]
    public async Task PutBlob_DigestMismatch_InvalidArgumentAndNothingVisible()
    {
        var content = Random(MiB + 1);
        var header = StorageClientExtensions.HeaderFor(Random(MiB + 1, seed: 99));
        header.ExpectedSize = content.Length;

        var act = () => Client.PutAsync(content, header);

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.DigestMismatch);
        await ((Func<Task>)(() => Client.StatBlobAsync(new StatBlobRequest { Sha256 = StorageClientExtensions.Sha256Of(content) }).ResponseAsync))
            .ShouldFailWith(StatusCode.NotFound, StorageReasons.BlobNotFound);
        _server.State.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task PutBlob_SizeMismatch_InvalidArgumentAndNothingVisible()
    {
        var content = Random(MiB + 1);
        var header = StorageClientExtensions.HeaderFor(content);
        header.ExpectedSize = MiB;

        var act = () => Client.PutAsync(content, header);

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.SizeMismatch);
        _server.State.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task PutBlob_FirstMessageIsData_InvalidArgumentHeaderRequired()
    {
        using var call = Client.PutBlob();
        await call.RequestStream.WriteAsync(new PutBlobRequest { Data = ByteString.CopyFrom(1, 2, 3) });
        await call.RequestStream.CompleteAsync();

        var act = () => call.ResponseAsync;

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.HeaderRequired);
        _server.State.CountKeys("").Should().Be(0);
    }

    [Fact]
    public async Task PutBlob_NoMessage_InvalidArgumentHeaderRequired()
    {
        using var call = Client.PutBlob();
        await call.RequestStream.CompleteAsync();

        var act = () => call.ResponseAsync;

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.HeaderRequired);
    }

    [Fact]
    public async Task PutBlob_SecondHeader_InvalidArgumentHeaderDuplicated()
    {
        using var call = Client.PutBlob();
        await call.RequestStream.WriteAsync(new PutBlobRequest { Header = new PutBlobHeader() });
        await call.RequestStream.WriteAsync(new PutBlobRequest { Header = new PutBlobHeader() });
        await call.RequestStream.CompleteAsync();

        var act = () => call.ResponseAsync;

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.HeaderDuplicated);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    public async Task PutBlob_ExpectedDigestNotThirtyTwoBytes_InvalidArgumentSha256Invalid(int length)
    {
        var header = new PutBlobHeader { ExpectedSha256 = ByteString.CopyFrom(new byte[length]) };

        var act = () => Client.PutAsync(Random(10), header);

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.Sha256Invalid);
    }

    [Fact]
    public async Task PutBlob_NegativeExpectedSize_InvalidArgumentSizeInvalid()
    {
        var act = () => Client.PutAsync(Random(10), new PutBlobHeader { ExpectedSize = -2 });

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.SizeInvalid);
    }

    [Fact]
    public async Task PutBlob_RetainUntilInThePast_InvalidArgumentRetainUntilInvalid()
    {
        var header = new PutBlobHeader { RetainUntil = Timestamp.FromDateTimeOffset(StorageHost.Now.AddDays(-1)) };

        var act = () => Client.PutAsync(Random(10), header);

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.RetainUntilInvalid);
    }

    [Fact]
    public async Task PutBlob_DataMessageOverOneMebibyte_InvalidArgumentDataTooLarge()
    {
        var content = Random(MiB + 1);

        var act = () => Client.PutAsync(content, new PutBlobHeader(), messageSize: MiB + 1);

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.DataTooLarge);
        _server.State.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task PutBlob_MessageBeyondTheReceiveLimit_ResourceExhausted()
    {
        var content = Random(2 * MiB);

        var act = () => Client.PutAsync(content, new PutBlobHeader(), messageSize: 2 * MiB);

        (await act.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.ResourceExhausted);
        _server.State.CountKeys("blob/").Should().Be(0);
    }

    [Fact]
    public async Task GetBlob_CorruptedChunk_DataLossBeforeAnyCorruptedByte()
    {
        var content = Random((3 * MiB) + 1);
        var put = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content));
        await CorruptChunkAsync(content, index: 1);

        var (_, data, failure) = await Client.ReadUntilFailureAsync(put.Blob.Sha256);

        failure.Should().NotBeNull();
        await ((Func<Task>)(() => throw failure!)).ShouldFailWith(StatusCode.DataLoss, StorageReasons.BlobCorrupted);
        data.Should().Equal(content.AsSpan(0, MiB).ToArray(), "only the intact chunk before the corrupted one is delivered");
    }

    [Fact]
    public async Task GetBlob_CorruptedFirstChunkOfARange_DataLossWithNoData()
    {
        var content = Random(2 * MiB);
        var put = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content));
        await CorruptChunkAsync(content, index: 1);

        var (messages, data, failure) = await Client.ReadUntilFailureAsync(put.Blob.Sha256, offset: MiB + 10);

        failure!.StatusCode.Should().Be(StatusCode.DataLoss);
        data.Should().BeEmpty();
        messages.Should().BeEmpty();
    }

    [Fact]
    public async Task GetBlob_UnknownBlob_NotFoundBlobNotFound()
    {
        var act = () => Client.GetAsync(StorageClientExtensions.Sha256Of(Random(3)));

        await act.ShouldFailWith(StatusCode.NotFound, StorageReasons.BlobNotFound);
    }

    [Fact]
    public async Task GetBlob_DigestNotThirtyTwoBytes_InvalidArgumentSha256Invalid()
    {
        var act = () => Client.GetAsync(ByteString.CopyFrom(1, 2, 3));

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.Sha256Invalid);
    }

    [Fact]
    public async Task StatBlob_StoredBlob_ReturnsItsMetadata()
    {
        var content = Random(MiB + 2);
        await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content, "application/xml"));

        var stat = await Client.StatBlobAsync(new StatBlobRequest { Sha256 = StorageClientExtensions.Sha256Of(content) });

        stat.Blob.Size.Should().Be(content.Length);
        stat.Blob.MediaType.Should().Be("application/xml");
        stat.Blob.ChunkCount.Should().Be(2);
        stat.Blob.CreateTime.ToDateTimeOffset().Should().Be(StorageHost.Now);
        stat.Blob.RetainUntil.ToDateTimeOffset().Should().Be(StorageHost.Now + new StorageOptions().DefaultRetention);
    }

    [Fact]
    public async Task StatBlob_UnknownBlob_NotFoundBlobNotFound()
    {
        var act = () => Client.StatBlobAsync(new StatBlobRequest { Sha256 = StorageClientExtensions.Sha256Of(Random(4)) }).ResponseAsync;

        await act.ShouldFailWith(StatusCode.NotFound, StorageReasons.BlobNotFound);
    }

    [Fact]
    public async Task UpdateRetention_LaterTime_Extends()
    {
        var content = Random(10);
        var put = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content));
        var later = put.Blob.RetainUntil.ToDateTimeOffset().AddYears(50);

        var updated = await Client.UpdateRetentionAsync(new UpdateRetentionRequest { Sha256 = put.Blob.Sha256, RetainUntil = Timestamp.FromDateTimeOffset(later) });

        updated.Blob.RetainUntil.ToDateTimeOffset().Should().Be(later);
    }

    [Fact]
    public async Task UpdateRetention_EarlierTime_NeverShortens()
    {
        var content = Random(10);
        var put = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content));
        var earlier = put.Blob.RetainUntil.ToDateTimeOffset().AddYears(-5);

        var updated = await Client.UpdateRetentionAsync(new UpdateRetentionRequest { Sha256 = put.Blob.Sha256, RetainUntil = Timestamp.FromDateTimeOffset(earlier) });

        updated.Blob.RetainUntil.Should().Be(put.Blob.RetainUntil);
    }

    [Fact]
    public async Task UpdateRetention_NoTime_InvalidArgumentRetainUntilRequired()
    {
        var content = Random(10);
        var put = await Client.PutAsync(content, StorageClientExtensions.HeaderFor(content));

        var act = () => Client.UpdateRetentionAsync(new UpdateRetentionRequest { Sha256 = put.Blob.Sha256 }).ResponseAsync;

        await act.ShouldFailWith(StatusCode.InvalidArgument, StorageReasons.RetainUntilRequired);
    }

    [Fact]
    public async Task UpdateRetention_UnknownBlob_NotFoundBlobNotFound()
    {
        var request = new UpdateRetentionRequest { Sha256 = StorageClientExtensions.Sha256Of(Random(8)), RetainUntil = Timestamp.FromDateTimeOffset(StorageHost.Now.AddYears(1)) };

        var act = () => Client.UpdateRetentionAsync(request).ResponseAsync;

        await act.ShouldFailWith(StatusCode.NotFound, StorageReasons.BlobNotFound);
    }

    private static IEnumerable<long> RunningOffsets(List<GetBlobResponse> messages)
    {
        long offset = 0;
        foreach (var message in messages)
        {
            yield return offset;
            offset += message.Data.Length;
        }
    }

    private async Task CorruptChunkAsync(byte[] content, int index)
    {
        var chunk = content.AsSpan(index * MiB, Math.Min(MiB, content.Length - (index * MiB))).ToArray();
        var key = ChunkedBlobStore.ChunkKey(Sha256Hash.Of(chunk));
        chunk[0] ^= 0xff;
        await _server.State.SetAsync(key, chunk);
    }
}
