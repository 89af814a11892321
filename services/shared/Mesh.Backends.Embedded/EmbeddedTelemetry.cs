using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Backends.Embedded;

/// <summary>Names of the embedded backend's traces and metrics, for OpenTelemetry registration.</summary>
public static class EmbeddedTelemetry
{
    /// <summary>The <see cref="ActivitySource"/> and <see cref="Meter"/> name.</summary>
    public const string Name = "Mesh.Backends.Embedded";

    internal static readonly ActivitySource ActivitySource = new(Name);

    internal static readonly Meter Meter = new(Name);

    internal static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "mesh.embedded.write.batch_size", unit: "{write}", description: "Write requests applied in one SQLite transaction (group commit).");

    internal static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>(
        "mesh.embedded.write.commit_duration", unit: "s", description: "Time from applying one group of writes to its commit being durable (fsync included): what its callers wait once the writer takes them.");

    internal static readonly Histogram<double> SyncDuration = Meter.CreateHistogram<double>(
        "mesh.embedded.write.sync_duration", unit: "s", description: "One fsync of the WAL by the syncer thread (pipelined syncs), covering every group committed before it.");

    internal static readonly Counter<long> Writes = Meter.CreateCounter<long>(
        "mesh.embedded.writes", unit: "{write}", description: "Write requests processed by the writer, by outcome (committed, rejected by a precondition, error).");

    internal static readonly Histogram<double> OutboxLag = Meter.CreateHistogram<double>(
        "mesh.embedded.outbox.lag", unit: "s", description: "Time from publish to the start of a delivery.");

    internal static readonly Counter<long> Deliveries = Meter.CreateCounter<long>(
        "mesh.embedded.deliveries", unit: "{delivery}", description: "Handler invocations, by topic, consumer group and outcome.");

    internal static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(
        "mesh.embedded.deadletters", unit: "{event}", description: "Events moved to a dead-letter topic after their last attempt.");

    internal static readonly Counter<long> ValueBytes = Meter.CreateCounter<long>(
        "mesh.embedded.values.appended", unit: "By", description: "Bytes of large values appended to the value segments instead of the SQLite file.");

    internal static readonly Histogram<double> ValueSyncDuration = Meter.CreateHistogram<double>(
        "mesh.embedded.values.sync_duration", unit: "s", description: "One fsync of the value segments, covering every value appended before it.");
}
