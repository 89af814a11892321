namespace Mesh.Storage.Domain;

/// <summary>Stable ErrorInfo reasons of the storage service; adapters branch on these.</summary>
public static class StorageReasons
{
    public const string BlobNotFound = "BLOB_NOT_FOUND";
    public const string BlobCorrupted = "BLOB_CORRUPTED";
    public const string BlobTooLarge = "BLOB_TOO_LARGE";
    public const string DigestMismatch = "DIGEST_MISMATCH";
    public const string SizeMismatch = "SIZE_MISMATCH";
    public const string Sha256Invalid = "SHA256_INVALID";
    public const string SizeInvalid = "SIZE_INVALID";
    public const string RangeInvalid = "RANGE_INVALID";
    public const string MediaTypeInvalid = "MEDIA_TYPE_INVALID";
    public const string RetainUntilInvalid = "RETAIN_UNTIL_INVALID";
    public const string RetainUntilRequired = "RETAIN_UNTIL_REQUIRED";
    public const string HeaderRequired = "HEADER_REQUIRED";
    public const string HeaderDuplicated = "HEADER_DUPLICATED";
    public const string DataTooLarge = "DATA_TOO_LARGE";
    public const string StagingKeyInvalid = "STAGING_KEY_INVALID";
    public const string StagingTtlInvalid = "STAGING_TTL_INVALID";
    public const string StagedOffsetMismatch = "STAGED_OFFSET_MISMATCH";
    public const string StagingLost = "STAGING_LOST";
    public const string StagedUploadNotFound = "STAGED_UPLOAD_NOT_FOUND";
}
