using Mesh.Backends.Embedded;
using Mesh.Errors;
using Mesh.State;
using Mesh.Storage.Domain;
using Mesh.Storage.Infrastructure;
using Mesh.Storage.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Mesh.Storage.Tests.Support.TestData;

namespace Mesh.Storage.Tests.Infrastructure;

/// <summary>The chunked layout on the real embedded (SQLite) state store, not only the in-memory one.</summary>
public sealed class EmbeddedStoreTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"mesh-storage-tests-{Guid.NewGuid():N}");
    private SqliteStateStore _state = null!;
    private ServiceProvider _services = null!;
    private IBlobStorage _storage = null!;

    public Task InitializeAsync()
    {
        _state = SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = _directory, Synchronous = SqliteSynchronous.Off });
        _services = new ServiceCollection()
            .AddLogging()
            .AddMetrics()
            .AddSingleton<IStateStore>(_state)
            .AddMeshStorage(new ConfigurationBuilder().Build())
            .BuildServiceProvider();
        _storage = _services.GetRequiredService<IBlobStorage>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _state.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task PutAsync_TenMiBThenReadRanges_ReturnsTheSameBytes()
    {
        var content = Random((10 * MiB) + 333);

        var put = await _storage.PutAsync(Segments(content, 200_000), new BlobPutRequest("application/pdf") { ExpectedSha256 = Sha256Hash.Of(content), ExpectedSize = content.Length });
        await using var whole = await _storage.OpenReadAsync(put.Blob.Id);
        var all = await ReadAllAsync(whole.Content);
        await using var range = await _storage.OpenReadAsync(put.Blob.Id, (3 * MiB) - 5, MiB + 10);
        var part = await ReadAllAsync(range.Content);

        all.Should().Equal(content);
        part.Should().Equal(content.AsSpan((3 * MiB) - 5, MiB + 10).ToArray());
        put.Blob.ChunkCount.Should().Be(11);
    }

    [Fact]
    public async Task PutAsync_SameContentTwice_SecondIsDeduplicated()
    {
        var content = Random((2 * MiB) + 1);
        await _storage.PutAsync(Segments(content), new BlobPutRequest("application/pdf"));

        var second = await _storage.PutAsync(Segments(content), new BlobPutRequest("application/pdf"));

        second.Created.Should().BeFalse();
        (await _state.ScanAsync("chunk/", null, 100)).Should().HaveCount(3);
    }

    [Fact]
    public async Task PutAsync_DigestMismatch_LeavesNoManifest()
    {
        var content = Random(MiB + 1);

        var act = async () => await _storage.PutAsync(Segments(content), new BlobPutRequest("application/pdf") { ExpectedSha256 = Sha256Hash.Of(Random(3)) });

        await act.ShouldFailWith(ErrorKind.InvalidArgument, StorageReasons.DigestMismatch);
        (await _state.ScanAsync("blob/", null, 10)).Should().BeEmpty();
    }

    [Fact]
    public async Task OpenReadAsync_ChunkOverwrittenInTheStore_ThrowsBlobCorrupted()
    {
        var content = Random(2 * MiB);
        var put = await _storage.PutAsync(Segments(content), new BlobPutRequest("application/pdf"));
        var first = content.AsSpan(0, MiB).ToArray();
        var key = ChunkedBlobStore.ChunkKey(Sha256Hash.Of(first));
        first[12345] ^= 0x10;
        await _state.SetAsync(key, first);

        await using var read = await _storage.OpenReadAsync(put.Blob.Id);
        var received = new List<ReadOnlyMemory<byte>>();
        var act = () => CollectAsync(read.Content, received);

        await act.ShouldFailWith(ErrorKind.DataLoss, StorageReasons.BlobCorrupted);
        received.Should().BeEmpty();
    }

    [Fact]
    public async Task OpenReadAsync_ChunkBytesDamagedInTheValueSegment_ThrowsBlobCorruptedAndServesNothing()
    {
        var content = Random(MiB + 5_000);
        var put = await _storage.PutAsync(Segments(content), new BlobPutRequest("application/pdf"));
        var segment = Path.Combine(_directory, EmbeddedOptions.ValueDirectoryName, "00000001.seg");
        new FileInfo(segment).Length.Should().Be(content.Length, "chunks are kept in the value segments, not in SQLite");
        await using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Position = 777;
            var b = file.ReadByte();
            file.Position = 777;
            file.WriteByte((byte)(b ^ 0x80));
        }

        await using var read = await _storage.OpenReadAsync(put.Blob.Id);
        var received = new List<ReadOnlyMemory<byte>>();
        var act = () => CollectAsync(read.Content, received);

        await act.ShouldFailWith(ErrorKind.DataLoss, StorageReasons.BlobCorrupted);
        received.Should().BeEmpty();
    }

    /// <summary>Reads every segment into <paramref name="received"/>, so that a test can see what was served before a failure.</summary>
    private static async Task CollectAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> content, List<ReadOnlyMemory<byte>> received)
    {
        await foreach (var segment in content)
        {
            received.Add(segment.ToArray());
        }
    }
}
