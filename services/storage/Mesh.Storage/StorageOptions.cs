using Mesh.Storage.Domain;

namespace Mesh.Storage;

/// <summary>Storage settings, bound from <c>Mesh:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Mesh:Storage";

    public const int MinChunkSize = 4 * 1024;

    public const int MaxChunkSize = 4 * 1024 * 1024;

    /// <summary>Size of the chunks new blobs are cut into; existing blobs keep theirs.</summary>
    public int ChunkSize { get; set; } = ChunkLayout.DefaultChunkSize;

    /// <summary>Retention of a blob stored without an explicit retain-until (archival periods are long: default 10 years).</summary>
    public TimeSpan DefaultRetention { get; set; } = TimeSpan.FromDays(3653);

    /// <summary>Largest blob accepted, in bytes.</summary>
    public long MaxBlobSize { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>How often staged uploads past their staging time are collected.</summary>
    public TimeSpan StagingCollectInterval { get; set; } = TimeSpan.FromHours(1);
}
