namespace Mesh.ServiceDefaults.Peers;

/// <summary>
/// Where the other Mesh services are when they do not run in this process, bound from
/// <c>Mesh:Peers</c>. Services call each other directly (Kubernetes DNS names such as
/// <c>https://mesh-registry:7443</c>) over TLS, authenticating with a client certificate bound in
/// the registry with the HUB_SERVICE role. This works the same with or without Dapr sidecars
/// (Dapr carries state and pub/sub only), so the processes mode on Redis needs nothing else.
/// </summary>
public sealed class PeerOptions
{
    /// <summary>Registry address, e.g. https://mesh-registry:7443.</summary>
    public Uri? Registry { get; set; }

    /// <summary>Signature service address.</summary>
    public Uri? Signature { get; set; }

    /// <summary>Storage service address.</summary>
    public Uri? Storage { get; set; }

    /// <summary>Audit service address.</summary>
    public Uri? Audit { get; set; }

    /// <summary>PKCS#12 file with this service's client certificate (bound with the HUB_SERVICE role).</summary>
    public string ClientCertificatePath { get; set; } = "";

    /// <summary>Password of <see cref="ClientCertificatePath"/>.</summary>
    public string ClientCertificatePassword { get; set; } = "";

    /// <summary>PEM file of the CA that issued the peers' server certificates (empty: the data directory's development CA).</summary>
    public string CaCertificatePath { get; set; } = "";
}
