namespace Mesh.Storage.Domain;

/// <summary>
/// Asks a put to stage what it stored durably should it not complete (the sender's connection
/// dropped, the caller cancelled, the content was refused), so that the caller can resume it at
/// the staged offset, and so that the staged chunks are deleted once <see cref="Ttl"/> has passed
/// without the upload completing.
/// </summary>
/// <param name="Key">The caller's name for the upload: printable ASCII without spaces, 1 to <see cref="MaxKeyLength"/> characters.</param>
/// <param name="Ttl">How long a staged upload is kept after its last progress.</param>
public sealed record BlobStaging(string Key, TimeSpan Ttl)
{
    public const int MaxKeyLength = 200;

    /// <summary>
    /// When positive, the content continues the staged upload at this offset, which must be
    /// exactly its staged size; the staged prefix is read back and hashed with the rest, so the
    /// expected digest still covers the whole content.
    /// </summary>
    public long ResumeFrom { get; init; }

    public static bool IsValidKey(string? key) =>
        !string.IsNullOrEmpty(key) && key.Length <= MaxKeyLength && key.All(static c => c is > ' ' and <= '~');
}

/// <summary>What is staged of an upload that did not complete.</summary>
/// <param name="Key">The caller's name for the upload.</param>
/// <param name="Size">Bytes staged from the start of the content: resume at this offset.</param>
/// <param name="ExpectedSha256">The digest the staged put expected of the whole content.</param>
/// <param name="ExpectedSize">The size the staged put expected of the whole content.</param>
/// <param name="ExpireTime">When the staged chunks are deleted unless the upload completes.</param>
public sealed record StagedUpload(string Key, long Size, Sha256Hash? ExpectedSha256, long? ExpectedSize, DateTimeOffset ExpireTime);
