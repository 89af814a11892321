using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Backends.Dapr;

/// <summary>Names of the Dapr backend's traces and metrics, for OpenTelemetry registration.</summary>
public static class DaprTelemetry
{
    /// <summary>The <see cref="ActivitySource"/> and <see cref="Meter"/> name.</summary>
    public const string Name = "Mesh.Backends.Dapr";

    internal static readonly ActivitySource ActivitySource = new(Name);

    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Deliveries = Meter.CreateCounter<long>(
        "mesh.dapr.deliveries", unit: "{delivery}", description: "Handler invocations, by topic, consumer group and outcome.");

    internal static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(
        "mesh.dapr.deadletters", unit: "{event}", description: "Events published to a dead-letter topic after their last attempt.");

    internal static readonly Counter<long> WriteConflicts = Meter.CreateCounter<long>(
        "mesh.dapr.state.write_conflicts", unit: "{conflict}", description: "Writes retried after another writer changed a key or an index shard first.");
}
