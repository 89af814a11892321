using System.ComponentModel.DataAnnotations;

namespace Mesh.Backends.Redis;

/// <summary>
/// Settings of the Redis backend, bound from the configuration section <c>Mesh:Backend:Redis</c>
/// (<see cref="SectionName"/>).
/// </summary>
public sealed class RedisOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Mesh:Backend:Redis";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>localhost:6379,password=…,ssl=true</c>.</summary>
    [Required]
    public string ConnectionString { get; set; } = "localhost:6379";

    /// <summary>
    /// Namespace of every key this backend writes. It becomes a Redis Cluster hash tag
    /// (<c>{prefix}</c>), so all keys of one installation live in one slot and Lua scripts may touch them together.
    /// </summary>
    [Required]
    [RegularExpression(@"^[^{}\s]{1,64}$", ErrorMessage = "Mesh:Backend:Redis:KeyPrefix must be 1-64 characters without braces or spaces.")]
    public string KeyPrefix { get; set; } = "mesh";

    /// <summary>
    /// This process's consumer name in every consumer group. Keep it stable across restarts (the pod name of
    /// a StatefulSet, the machine name) so a restarted process takes back its own pending events at once;
    /// events of consumers that never come back are reclaimed after <see cref="VisibilityTimeout"/>.
    /// </summary>
    [Required]
    public string ConsumerName { get; set; } = Environment.MachineName;

    /// <summary>How long an event may stay pending with a silent consumer before another one reclaims it (XAUTOCLAIM).</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often pending events are checked for reclaim and this consumer's own in-flight events are refreshed.</summary>
    public TimeSpan ReclaimInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Safety-net poll of the streams. Publishes wake dispatchers at once through a Redis pub/sub
    /// notification; the poll only matters when a notification is lost.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Approximate cap on the entries kept per topic stream (XADD MAXLEN ~).</summary>
    [Range(1000, long.MaxValue)]
    public long StreamMaxLength { get; set; } = 1_000_000;

    /// <summary>Entries read per XREADGROUP / XAUTOCLAIM call.</summary>
    [Range(1, 10_000)]
    public int ReadBatchSize { get; set; } = 64;

    /// <summary>Handlers of one subscription that may run at the same time in this process.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentDeliveries { get; set; } = 16;
}
