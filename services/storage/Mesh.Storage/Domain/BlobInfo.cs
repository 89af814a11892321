namespace Mesh.Storage.Domain;

/// <summary>What is known about a stored blob.</summary>
/// <param name="Id">SHA-256 of the whole content.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="MediaType">Media type given when first stored.</param>
/// <param name="ChunkCount">Number of chunks the content is stored in.</param>
/// <param name="CreateTime">When first stored.</param>
/// <param name="RetainUntil">Kept at least until then.</param>
public sealed record BlobInfo(Sha256Hash Id, long Size, string MediaType, int ChunkCount, DateTimeOffset CreateTime, DateTimeOffset RetainUntil)
{
    public const string DefaultMediaType = "application/octet-stream";

    public string Name => ResourceName(Id);

    public static string ResourceName(Sha256Hash id) => $"blobs/{id.Hex}";
}

/// <summary>
/// A blob and the ordered list of its chunks. Every chunk except the last has exactly
/// <see cref="ChunkSize"/> bytes, so the chunk holding any offset is found by division, and
/// the list alone (no per-chunk offsets) describes the layout.
/// </summary>
/// <param name="Info">The blob.</param>
/// <param name="ChunkSize">Chunk size the blob was written with (kept per blob so that changing the configuration never breaks existing blobs).</param>
/// <param name="ChunkDigests">The chunk digests, 32 bytes each, in content order.</param>
public sealed record BlobManifest(BlobInfo Info, int ChunkSize, ReadOnlyMemory<byte> ChunkDigests)
{
    public ChunkLayout Layout => new(ChunkSize);

    public Sha256Hash Chunk(int index) =>
        Sha256Hash.FromBytes(ChunkDigests.Span.Slice(index * Sha256Hash.ByteLength, Sha256Hash.ByteLength));

    /// <summary>True when the chunk list has exactly the chunks the size calls for.</summary>
    public bool IsConsistent =>
        ChunkSize > 0
        && Info.Size >= 0
        && Info.ChunkCount == Layout.ChunkCount(Info.Size)
        && ChunkDigests.Length == Info.ChunkCount * Sha256Hash.ByteLength;

    public BlobManifest WithRetention(DateTimeOffset retainUntil) => this with { Info = Info with { RetainUntil = retainUntil } };
}
