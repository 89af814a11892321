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

    [LoggerMessage(6, LogLevel.Information, "Upload {Key} staged: {Size} bytes resumable, {Owned} chunks owned, until {ExpireTime}")]
    public static partial void UploadStaged(this ILogger logger, string key, long size, int owned, DateTimeOffset expireTime);

    [LoggerMessage(7, LogLevel.Warning, "Upload {Key} could not be staged; its chunks stay until a later attempt stages them")]
    public static partial void StagingFailed(this ILogger logger, string key, Exception? exception);

    [LoggerMessage(8, LogLevel.Information, "Staged upload {Key} collected: {Deleted} chunks deleted, {Kept} kept (referred to since, or already gone)")]
    public static partial void StagingCollected(this ILogger logger, string key, int deleted, int kept);

    [LoggerMessage(9, LogLevel.Error, "Collecting staged uploads failed; retried at the next run")]
    public static partial void StagingCollectionFailed(this ILogger logger, Exception exception);
}
