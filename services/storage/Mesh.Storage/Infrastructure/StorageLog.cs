using Microsoft.Extensions.Logging;

namespace Mesh.Storage.Infrastructure;

internal static partial class StorageLog
{
    [LoggerMessage(1, LogLevel.Information, "Stored blob {BlobId} ({Size} bytes, {ChunkCount} chunks, {MediaType})")]
    public static partial void BlobStored(this ILogger logger, string blobId, long size, int chunkCount, string mediaType);

    [LoggerMessage(2, LogLevel.Debug, "Blob {BlobId} was already stored; deduplicated")]
    public static partial void BlobDeduplicated(this ILogger logger, string blobId);

    [LoggerMessage(3, LogLevel.Warning, "Put refused ({Reason}): {Message}")]
    public static partial void PutRefused(this ILogger logger, string reason, string message);

    [LoggerMessage(4, LogLevel.Error, "Blob {BlobId} is corrupted: {Detail}")]
    public static partial void BlobCorrupted(this ILogger logger, string blobId, string detail);

    [LoggerMessage(5, LogLevel.Information, "Retention of blob {BlobId} extended to {RetainUntil}")]
    public static partial void RetentionExtended(this ILogger logger, string blobId, DateTimeOffset retainUntil);
}
