using Mesh.Errors;

namespace Mesh.Storage.Domain;

/// <summary>The storage failures, each with its stable reason.</summary>
public static class StorageErrors
{
    public const string BlobResourceType = "blob";

    public static MeshException NotFound(Sha256Hash id) =>
        MeshException.NotFound(StorageReasons.BlobNotFound, BlobResourceType, BlobInfo.ResourceName(id));

    public static MeshException Corrupted(Sha256Hash id, string detail) =>
        new(ErrorKind.DataLoss, StorageReasons.BlobCorrupted, $"Blob {id} is corrupted: {detail}.")
        {
            Resource = (BlobResourceType, BlobInfo.ResourceName(id)),
        };

    public static MeshException TooLarge(long limit) =>
        new(ErrorKind.ResourceExhausted, StorageReasons.BlobTooLarge, $"Blobs are limited to {limit} bytes.");

    public static MeshException DigestMismatch(Sha256Hash expected, Sha256Hash actual) =>
        MeshException.Invalid(StorageReasons.DigestMismatch, "header.expected_sha256", $"the content hashes to {actual}, not {expected}");

    public static MeshException SizeMismatch(long expected, long actual) =>
        MeshException.Invalid(StorageReasons.SizeMismatch, "header.expected_size", $"the content has {actual} bytes, not {expected}");
}
