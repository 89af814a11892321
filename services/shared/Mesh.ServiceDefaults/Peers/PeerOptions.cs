namespace Mesh.ServiceDefaults.Peers;

/// <summary>
/// Where the other Mesh services are when they do not run in this process, bound from
/// <c>Mesh:Peers</c> (e.g. <c>Mesh:Peers:Registry:Address</c>, <c>Mesh:Peers:Registry:AppId</c>).
/// Processes mode: each peer's own address over TLS, authenticating with
/// <see cref="ClientCertificatePath"/> (bound in the registry with the HUB_SERVICE role).
/// Kubernetes with Dapr: every address is the local sidecar (<c>http://127.0.0.1:50001</c>) and
/// <see cref="PeerEndpoint.AppId"/> names the peer; the sidecars carry the call over Dapr mTLS.
/// </summary>
public sealed class PeerOptions
{
    /// <summary>The registry.</summary>
    public PeerEndpoint? Registry { get; set; }

    /// <summary>The signature service.</summary>
    public PeerEndpoint? Signature { get; set; }

    /// <summary>The storage service.</summary>
    public PeerEndpoint? Storage { get; set; }

    /// <summary>The audit service.</summary>
    public PeerEndpoint? Audit { get; set; }

    /// <summary>The routing service (no service calls it today; the chart sets it like every peer).</summary>
    public PeerEndpoint? Routing { get; set; }

    /// <summary>PKCS#12 file with this service's client certificate (bound with the HUB_SERVICE role).</summary>
    public string ClientCertificatePath { get; set; } = "";

    /// <summary>Password of <see cref="ClientCertificatePath"/>.</summary>
    public string ClientCertificatePassword { get; set; } = "";

    /// <summary>PEM file of the CA that issued the peers' server certificates (empty: the data directory's development CA).</summary>
    public string CaCertificatePath { get; set; } = "";

    /// <summary>
    /// Deadline of a unary call to a peer that does not set its own (streams have none): a peer that takes the
    /// call and never answers then fails it with DEADLINE_EXCEEDED, which callers treat as UNAVAILABLE and retry.
    /// Zero or negative: no deadline.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>How to reach one peer.</summary>
public sealed class PeerEndpoint
{
    /// <summary>
    /// The gRPC address: the peer itself (<c>https://mesh-registry:7443</c>, <c>https://127.0.0.1:7441</c>),
    /// or the local Dapr sidecar's gRPC port when <see cref="AppId"/> is set.
    /// </summary>
    public Uri? Address { get; set; }

    /// <summary>
    /// The peer's Dapr app-id. When set, every call carries <c>dapr-app-id: {AppId}</c> metadata so
    /// the sidecar at <see cref="Address"/> proxies it to that app. Empty: <see cref="Address"/> is the peer.
    /// </summary>
    public string AppId { get; set; } = "";
}
