using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Backends.Redis;

/// <summary>Names of the Redis backend's traces and metrics, for OpenTelemetry registration.</summary>
public static class RedisTelemetry
{
    /// <summary>The <see cref="ActivitySource"/> and <see cref="Meter"/> name.</summary>
    public const string Name = "Mesh.Backends.Redis";

    internal static readonly ActivitySource ActivitySource = new(Name);

    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Deliveries = Meter.CreateCounter<long>(
        "mesh.redis.deliveries", unit: "{delivery}", description: "Handler invocations, by topic, consumer group and outcome.");

    internal static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(
        "mesh.redis.deadletters", unit: "{event}", description: "Events moved to a dead-letter stream after their last attempt.");

    internal static readonly Counter<long> Reclaimed = Meter.CreateCounter<long>(
        "mesh.redis.reclaimed", unit: "{event}", description: "Pending events taken over from a silent consumer (XAUTOCLAIM).");

    internal static readonly Counter<long> ETagMismatches = Meter.CreateCounter<long>(
        "mesh.redis.state.etag_mismatches", unit: "{write}", description: "Writes refused because an ETag precondition failed.");
}
