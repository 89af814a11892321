using System.Buffers;
using System.Runtime.CompilerServices;

namespace Mesh.Storage.Domain;

/// <summary>Stream conveniences over <see cref="IBlobStorage"/>.</summary>
public static class BlobStorageExtensions
{
    private const int CopyBufferSize = 128 * 1024;

    public static ValueTask<BlobPutResult> PutAsync(this IBlobStorage storage, Stream content, BlobPutRequest request, CancellationToken cancellationToken = default) =>
        storage.PutAsync(ReadSegmentsAsync(content, cancellationToken), request, cancellationToken);

    /// <summary>Writes the content of <paramref name="read"/> to <paramref name="destination"/>.</summary>
    public static async Task CopyToAsync(this BlobRead read, Stream destination, CancellationToken cancellationToken = default)
    {
        await foreach (var segment in read.Content.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await destination.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadSegmentsAsync(Stream content, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One pooled buffer for the whole stream: IBlobStorage consumes a segment before asking for the next.
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                yield return buffer.AsMemory(0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
