using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Storage;

/// <summary>Every trace and metric name of the storage service ("Mesh.Storage").</summary>
public sealed class StorageTelemetry
{
    public const string Name = "Mesh.Storage";

    public static readonly ActivitySource ActivitySource = new(Name);

    public StorageTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        BytesIn = meter.CreateCounter<long>("mesh.storage.bytes_in", "By", "Content bytes received by puts.");
        BytesOut = meter.CreateCounter<long>("mesh.storage.bytes_out", "By", "Verified content bytes handed out by reads.");
        BlobsCreated = meter.CreateCounter<long>("mesh.storage.blobs_created", "{blob}", "Blobs stored for the first time.");
        BlobDedupHits = meter.CreateCounter<long>("mesh.storage.dedup.blob_hits", "{blob}", "Puts of content that was already stored.");
        ChunkDedupHits = meter.CreateCounter<long>("mesh.storage.dedup.chunk_hits", "{chunk}", "Chunks that were already stored and not written again.");
        PutsRefused = meter.CreateCounter<long>("mesh.storage.puts_refused", "{put}", "Puts refused, by reason.");
        CorruptionDetected = meter.CreateCounter<long>("mesh.storage.corruption_detected", "{event}", "Reads that found a missing or corrupted chunk or manifest.");
    }

    public Counter<long> BytesIn { get; }

    public Counter<long> BytesOut { get; }

    public Counter<long> BlobsCreated { get; }

    public Counter<long> BlobDedupHits { get; }

    public Counter<long> ChunkDedupHits { get; }

    public Counter<long> PutsRefused { get; }

    public Counter<long> CorruptionDetected { get; }
}
