using System.ComponentModel.DataAnnotations;

namespace Mesh.ServiceDefaults.Hosting;

/// <summary>The agency-facing endpoint, bound from <c>Mesh:Endpoint</c>.</summary>
public sealed class MeshEndpointOptions
{
    /// <summary>TCP port (default 7443). 0 picks a free port (tests).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 7443;

    /// <summary>Listen on loopback only (default false: every interface).</summary>
    public bool LoopbackOnly { get; set; }

    /// <summary>
    /// Serve plaintext HTTP/2 (h2c) instead of TLS, for a deployment behind a TLS-terminating
    /// proxy. Client certificates then come from <see cref="ForwardedClientCertificateHeader"/>.
    /// </summary>
    public bool Plaintext { get; set; }

    /// <summary>
    /// A second port serving plaintext HTTP/2 (h2c) beside a TLS <see cref="Port"/>, for callers that cannot
    /// present TLS: Kubernetes gRPC probes, the Dapr sidecar's app channel, in-cluster peers. 0 (default): none.
    /// Calls on it carry no client certificate, so it must only be reachable from inside the pod network.
    /// </summary>
    [Range(0, 65535)]
    public int InternalPort { get; set; }

    /// <summary>PKCS#12 file with the server certificate; empty: a development certificate is generated in the data directory.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>Password of <see cref="CertificatePath"/>.</summary>
    public string CertificatePassword { get; set; } = "";

    /// <summary>How calls without TLS on the internal port (or a plaintext <see cref="Port"/>) are authenticated.</summary>
    public InternalCallerOptions Internal { get; set; } = new();

    /// <summary>
    /// Header in which a trusted proxy forwards the client certificate (PEM or base64 DER), e.g.
    /// "X-Forwarded-Client-Cert". Empty: disabled. Only enable behind a proxy that strips it from clients.
    /// </summary>
    public string ForwardedClientCertificateHeader { get; set; } = "";
}

/// <summary>
/// Authentication of other Mesh services calling through a Dapr sidecar, bound from <c>Mesh:Endpoint:Internal</c>.
/// Behind a sidecar a call arrives over h2c with no client certificate; the caller is then identified by the
/// <c>dapr-caller-app-id</c> metadata the sidecars set after authenticating each other with Dapr mTLS, and the
/// call is believed to come from the local sidecar only if it carries the sidecar's <c>dapr-api-token</c>
/// (Dapr's app API token, <c>dapr.io/app-token-secret</c>). Both must be configured; otherwise h2c calls need
/// a client certificate like any other and are refused without one.
/// </summary>
public sealed class InternalCallerOptions
{
    /// <summary>Dapr app-ids of the Mesh services: a call from one of them gets the HUB_SERVICE role, nothing else.</summary>
    public IList<string> DaprCallerAppIds { get; } = [];

    /// <summary>
    /// The token the local sidecar sends in <c>dapr-api-token</c> with every call to the app. Empty: the
    /// <c>APP_API_TOKEN</c> environment variable (how Dapr's injector passes it); both empty: Dapr callers are refused.
    /// </summary>
    public string DaprApiToken { get; set; } = "";
}

/// <summary>gRPC limits, bound from <c>Mesh:Grpc</c>.</summary>
public sealed class MeshGrpcOptions
{
    /// <summary>Largest accepted message (default 4 MiB: attachment chunks are at most 1 MiB).</summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest message sent (default 4 MiB).</summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxSendMessageSize { get; set; } = 4 * 1024 * 1024;
}

/// <summary>Where a Mesh process keeps its files, bound from <c>Mesh</c>.</summary>
public sealed class MeshDataOptions
{
    /// <summary>Data directory (SQLite files, development keys). Default ".mesh-data" under the working directory.</summary>
    [Required]
    public string DataDirectory { get; set; } = ".mesh-data";

    /// <summary>The directory as an absolute path.</summary>
    public string FullDataDirectory => Path.GetFullPath(DataDirectory);
}
