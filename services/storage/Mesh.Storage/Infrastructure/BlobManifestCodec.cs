using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Storage.Domain;

namespace Mesh.Storage.Infrastructure;

/// <summary>
/// The stored form of a manifest (value of <c>blob/{sha256}</c>). JSON so that an operator can
/// read it with redis-cli or the Dapr state API; the chunk digests are one base64 string
/// (32 bytes per chunk: 43 KB for a 1 GiB blob).
/// </summary>
internal static class BlobManifestCodec
{
    private const int CurrentVersion = 1;

    public static byte[] Encode(BlobManifest manifest) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new StoredManifest(
                CurrentVersion,
                manifest.Info.Size,
                manifest.Info.MediaType,
                manifest.ChunkSize,
                manifest.ChunkDigests.ToArray(),
                manifest.Info.CreateTime,
                manifest.Info.RetainUntil),
            StorageJsonContext.Default.StoredManifest);

    /// <returns>The manifest, or null when the stored value is not a consistent manifest.</returns>
    public static BlobManifest? Decode(Sha256Hash id, ReadOnlyMemory<byte> value)
    {
        StoredManifest? stored;
        try
        {
            stored = JsonSerializer.Deserialize(value.Span, StorageJsonContext.Default.StoredManifest);
        }
        catch (JsonException)
        {
            return null;
        }

        if (stored is null || stored.Version != CurrentVersion || stored.MediaType is null || stored.Chunks is null || stored.ChunkSize <= 0 || stored.Size < 0)
        {
            return null;
        }

        var layout = new ChunkLayout(stored.ChunkSize);
        if ((stored.Size + stored.ChunkSize - 1) / stored.ChunkSize > int.MaxValue)
        {
            return null;
        }

        var info = new BlobInfo(id, stored.Size, stored.MediaType, layout.ChunkCount(stored.Size), stored.CreateTime, stored.RetainUntil);
        var manifest = new BlobManifest(info, stored.ChunkSize, stored.Chunks);
        return manifest.IsConsistent ? manifest : null;
    }
}

internal sealed record StoredManifest(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("chunkSize")] int ChunkSize,
    [property: JsonPropertyName("chunks")] byte[] Chunks,
    [property: JsonPropertyName("createTime")] DateTimeOffset CreateTime,
    [property: JsonPropertyName("retainUntil")] DateTimeOffset RetainUntil);

[JsonSerializable(typeof(StoredManifest))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
