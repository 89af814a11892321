using System.Security.Cryptography;
using Mesh.Storage.Domain;
using Mesh.Storage.Tests.Support;

namespace Mesh.Storage.Tests.Infrastructure;

[CollectionDefinition(nameof(AllocationSensitive), DisableParallelization = true)]
public sealed class AllocationSensitive;

/// <summary>
/// Memory stays bounded by a couple of chunks whatever the blob size. Measured as bytes the
/// process allocated minus the copies the state store keeps (which is the stored data itself,
/// not working memory); this collection runs alone so other tests do not add to the count.
/// </summary>
[Collection(nameof(AllocationSensitive))]
public sealed class BoundedMemoryTests
{
    private const long BlobSize = 256L * 1024 * 1024;
    private const long Budget = 16L * 1024 * 1024;

    [Fact]
    public async Task PutAsyncThenOpenReadAsync_256MiBStream_AllocatesFarLessThanTheBlob()
    {
        var (storage, state, _, services) = StorageHost.InProcess();
        await using var _ = services;
        await WarmUpAsync(storage);
        var storedBefore = state.BytesCopied;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var put = await storage.PutAsync(GeneratedContent.Segments(BlobSize, seed: 42), new BlobPutRequest("application/octet-stream") { ExpectedSize = BlobSize });
        await using var read = await storage.OpenReadAsync(put.Blob.Id);
        using var readBack = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await foreach (var segment in read.Content)
        {
            readBack.AppendData(segment.Span);
        }

        var working = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore - (state.BytesCopied - storedBefore);
        Sha256Hash.FromBytes(readBack.GetHashAndReset()).Should().Be(put.Blob.Id);
        put.Blob.Size.Should().Be(BlobSize);
        (state.BytesCopied - storedBefore).Should().BeInRange(BlobSize, BlobSize + (64 * 1024), "every chunk is distinct and stored once, plus the manifest");
        Console.WriteLine($"Working allocations for a {BlobSize >> 20} MiB put and get: {working} bytes");
        working.Should().BeLessThan(Budget, $"working memory for a {BlobSize >> 20} MiB put and get must be a few chunks, not the blob");
    }

    private static async Task WarmUpAsync(IBlobStorage storage)
    {
        // JIT, pools and lazy statics allocate once per process; they are not per-blob memory.
        var put = await storage.PutAsync(GeneratedContent.Segments(3L * 1024 * 1024, seed: 1), new BlobPutRequest("application/octet-stream"));
        await using var read = await storage.OpenReadAsync(put.Blob.Id);
        await foreach (var _ in read.Content)
        {
        }
    }
}
