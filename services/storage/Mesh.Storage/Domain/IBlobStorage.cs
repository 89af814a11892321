namespace Mesh.Storage.Domain;

/// <summary>
/// Content-addressed blob storage as the routing service uses it. In the all-in-one hub it is
/// the chunked store itself (no loopback gRPC); in distributed mode, a StorageService client.
/// </summary>
public interface IBlobStorage
{
    /// <summary>
    /// Stores <paramref name="content"/>. Each segment is consumed before the next is requested,
    /// so producers may reuse one buffer. The blob becomes visible only once complete and checked
    /// against the expected digest and size.
    /// </summary>
    ValueTask<BlobPutResult> PutAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> content, BlobPutRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a blob, or the range [offset, offset+length) of it (length 0: to the end). Missing
    /// blobs and bad ranges fail here, before any content; corruption fails while reading, before
    /// the corrupted bytes are handed out.
    /// </summary>
    ValueTask<BlobRead> OpenReadAsync(Sha256Hash id, long offset = 0, long length = 0, CancellationToken cancellationToken = default);

    ValueTask<BlobInfo> StatAsync(Sha256Hash id, CancellationToken cancellationToken = default);

    /// <summary>Extends the retention (never shortens it) and returns the blob as it now is.</summary>
    ValueTask<BlobInfo> UpdateRetentionAsync(Sha256Hash id, DateTimeOffset retainUntil, CancellationToken cancellationToken = default);

    /// <summary>
    /// What an interrupted put with <see cref="BlobPutRequest.Staging"/> left staged under
    /// <paramref name="key"/>; null when nothing resumable is (or is no longer) staged.
    /// </summary>
    ValueTask<StagedUpload?> GetStagedAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>What a put expects of the content.</summary>
/// <param name="MediaType">Media type recorded when the blob is first stored.</param>
public sealed record BlobPutRequest(string MediaType)
{
    /// <summary>When set, content with another SHA-256 is refused (DIGEST_MISMATCH).</summary>
    public Sha256Hash? ExpectedSha256 { get; init; }

    /// <summary>When set, content of another size is refused (SIZE_MISMATCH).</summary>
    public long? ExpectedSize { get; init; }

    /// <summary>Keep at least until then; null: the configured default retention.</summary>
    public DateTimeOffset? RetainUntil { get; init; }

    /// <summary>When set, a put that does not complete stages what it stored (see <see cref="BlobStaging"/>).</summary>
    public BlobStaging? Staging { get; init; }
}

/// <summary>The outcome of a put.</summary>
/// <param name="Blob">The stored blob.</param>
/// <param name="Created">False when identical content was already stored.</param>
public sealed record BlobPutResult(BlobInfo Blob, bool Created);

/// <summary>
/// An open read: the blob's metadata, the resolved range and its content. Each segment is valid
/// only until the next one is requested. Dispose to release the underlying call or resources.
/// </summary>
public sealed class BlobRead(BlobInfo blob, ByteRange range, IAsyncEnumerable<ReadOnlyMemory<byte>> content, Func<ValueTask>? dispose = null) : IAsyncDisposable
{
    public BlobInfo Blob { get; } = blob;

    public ByteRange Range { get; } = range;

    /// <summary>The bytes of <see cref="Range"/>, in order; enumerate once.</summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> Content { get; } = content;

    public ValueTask DisposeAsync() => dispose?.Invoke() ?? ValueTask.CompletedTask;
}
