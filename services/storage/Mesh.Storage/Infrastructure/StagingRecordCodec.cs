using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Storage.Domain;

namespace Mesh.Storage.Infrastructure;

/// <summary>
/// The stored form of a staged upload (value of <c>staged/{key}</c>, and of
/// <c>staged-collect/{key}</c> while the collector deletes its chunks).
/// </summary>
/// <param name="Version">Format version.</param>
/// <param name="Key">The caller's name for the upload.</param>
/// <param name="ChunkSize">Chunk size of the staged prefix; the resumed blob keeps it.</param>
/// <param name="Chunks">The staged prefix: the digests (32 bytes each) of its chunks, each exactly <paramref name="ChunkSize"/> bytes.</param>
/// <param name="ExpectedSha256">Hex digest the put expected of the whole content, if any.</param>
/// <param name="ExpectedSize">Size the put expected of the whole content, if any.</param>
/// <param name="ExpireTime">When the collector deletes the owned chunks.</param>
/// <param name="Owned">
/// The chunks this upload created (none existed before), each with the ETag its creation gave it.
/// Only these are ever deleted, and only if their ETag is still that one (see ChunkedBlobStore).
/// </param>
internal sealed record StagingRecord(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("chunkSize")] int ChunkSize,
    [property: JsonPropertyName("chunks")] byte[] Chunks,
    [property: JsonPropertyName("expectedSha256")] string? ExpectedSha256,
    [property: JsonPropertyName("expectedSize")] long? ExpectedSize,
    [property: JsonPropertyName("expireTime")] DateTimeOffset ExpireTime,
    [property: JsonPropertyName("owned")] List<OwnedChunk> Owned)
{
    public const int CurrentVersion = 1;

    public int ChunkCount => Chunks.Length / Sha256Hash.ByteLength;

    public long Size => (long)ChunkCount * ChunkSize;

    public Sha256Hash Chunk(int index) => Sha256Hash.FromBytes(Chunks.AsSpan(index * Sha256Hash.ByteLength, Sha256Hash.ByteLength));

    /// <summary>Whether the staged prefix belongs to content with this expected digest and size.</summary>
    public bool IsPrefixOf(Sha256Hash? expectedSha256, long? expectedSize) =>
        string.Equals(ExpectedSha256, expectedSha256?.Hex, StringComparison.Ordinal) && ExpectedSize == expectedSize;

    public StagedUpload ToStagedUpload() =>
        new(Key, Size, ExpectedSha256 is null ? null : Sha256Hash.TryParse(ExpectedSha256, out var sha) ? sha : null, ExpectedSize, ExpireTime);
}

/// <summary>A chunk a staged upload created, with the ETag its creation gave it.</summary>
/// <param name="Chunk">The chunk digest (32 bytes).</param>
/// <param name="ETag">Its ETag right after the upload created it.</param>
internal sealed record OwnedChunk([property: JsonPropertyName("c")] byte[] Chunk, [property: JsonPropertyName("e")] string ETag);

internal static class StagingRecordCodec
{
    public static byte[] Encode(StagingRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, StagingJsonContext.Default.StagingRecord);

    /// <returns>The record, or null when the stored value is not a consistent one.</returns>
    public static StagingRecord? Decode(ReadOnlyMemory<byte> value)
    {
        StagingRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(value.Span, StagingJsonContext.Default.StagingRecord);
        }
        catch (JsonException)
        {
            return null;
        }

        return record is { Version: StagingRecord.CurrentVersion, Key: not null, Chunks: not null, Owned: not null, ChunkSize: > 0 }
            && record.Chunks.Length % Sha256Hash.ByteLength == 0
            && record.Owned.TrueForAll(static o => o.Chunk?.Length == Sha256Hash.ByteLength && !string.IsNullOrEmpty(o.ETag))
            ? record
            : null;
    }
}

[JsonSerializable(typeof(StagingRecord))]
internal sealed partial class StagingJsonContext : JsonSerializerContext;
