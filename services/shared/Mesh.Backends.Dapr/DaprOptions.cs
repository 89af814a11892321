using System.ComponentModel.DataAnnotations;

namespace Mesh.Backends.Dapr;

/// <summary>
/// Settings of the Dapr backend, bound from the configuration section <c>Mesh:Backend:Dapr</c>
/// (<see cref="SectionName"/>). Component names come from configuration, never constants: the platform
/// engineer names the components.
/// </summary>
public sealed class DaprOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Mesh:Backend:Dapr";

    /// <summary>Name of the Dapr state store component. It must support ETags and transactions.</summary>
    [Required]
    public string StateStoreName { get; set; } = "statestore";

    /// <summary>Name of the Dapr pub/sub component.</summary>
    [Required]
    public string PubSubName { get; set; } = "pubsub";

    /// <summary>
    /// The sidecar's gRPC endpoint, e.g. <c>http://127.0.0.1:50001</c>. Empty: the Dapr SDK default
    /// (<c>DAPR_GRPC_ENDPOINT</c> / <c>DAPR_GRPC_PORT</c>, which the sidecar injector sets).
    /// </summary>
    public string? GrpcEndpoint { get; set; }

    /// <summary>Prefix of every state key Mesh writes (Dapr already prefixes keys with the app id).</summary>
    [RegularExpression(@"^[^|]{0,64}$", ErrorMessage = "Mesh:Backend:Dapr:KeyPrefix must be at most 64 characters without '|'.")]
    public string KeyPrefix { get; set; } = string.Empty;

    /// <summary>
    /// Number of index documents the key index is spread over. More shards mean fewer write conflicts
    /// between creates and deletes, and more documents to read per scan.
    /// </summary>
    [Range(1, 1024)]
    public int IndexShards { get; set; } = 16;

    /// <summary>How often a write retries after losing an optimistic-concurrency race it did not ask for (index or unconditional writes).</summary>
    [Range(1, 10_000)]
    public int MaxConflictRetries { get; set; } = 200;

    /// <summary>
    /// Largest gRPC message to and from the sidecar. Values travel base64 in JSON, so 16 MiB carries
    /// about 12 MiB of value; the sidecar's own limit (<c>dapr.io/max-body-size</c>) must be at least this.
    /// </summary>
    [Range(4 * 1024 * 1024, int.MaxValue)]
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;
}
