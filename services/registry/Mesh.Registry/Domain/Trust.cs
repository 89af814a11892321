using Mesh.Identity;

namespace Mesh.Registry.Domain;

/// <summary>What a bound certificate may be used for.</summary>
public enum CertificatePurpose
{
    /// <summary>Authenticates the agency's adapter (client TLS).</summary>
    ClientTls = 1,
    /// <summary>Signs manifests and status reports for the agency.</summary>
    DocumentSigning = 2,
}

/// <summary>A certificate bound to an agency.</summary>
public sealed record CertificateBinding(
    string OrganId,
    string Thumbprint,
    CertificatePurpose Purpose,
    IReadOnlyList<CallerRole> Roles,
    byte[] CertificateDer,
    string Subject,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    DateTimeOffset CreateTime);

/// <summary>Root or intermediate CA.</summary>
public enum TrustAnchorKind
{
    /// <summary>Self-signed root; paths end here.</summary>
    Root = 1,
    /// <summary>Intermediate CA used to build paths.</summary>
    Intermediate = 2,
}

/// <summary>A CA certificate known to Mesh.</summary>
public sealed record TrustAnchor(string Thumbprint, TrustAnchorKind Kind, byte[] CertificateDer, string Subject, string Label, DateTimeOffset CreateTime);

/// <summary>The newest CRL of one CA.</summary>
public sealed record CrlRecord(string IssuerThumbprint, byte[] CrlDer, string CrlNumber, DateTimeOffset ThisUpdate, DateTimeOffset? NextUpdate);

/// <summary>Every trust anchor and CRL, with the version that changes whenever one of them does.</summary>
public sealed record TrustMaterial(IReadOnlyList<TrustAnchor> Anchors, IReadOnlyList<CrlRecord> Crls, long Version);

/// <summary>The kind of a registry change.</summary>
public enum ChangeKind
{
    /// <summary>An agency changed.</summary>
    Agency = 1,
    /// <summary>A certificate binding changed.</summary>
    CertificateBinding = 2,
    /// <summary>Trust anchors or CRLs changed.</summary>
    TrustMaterial = 3,
}

/// <summary>One entry of the registry's change feed.</summary>
public sealed record RegistryChange(long Sequence, ChangeKind Kind, string Subject, DateTimeOffset Time, long TrustVersion);

/// <summary>How certificates are checked before they are bound (<see cref="AgencyRegistry.BindAsync"/>).</summary>
/// <param name="RequireRevocationData">
/// Refuse (TRY_LATER) a certificate whose CA has no CRL in the registry. Off by default: binding is not the
/// last word on trust, since every signature is checked against the registry's CRLs again (where a missing CRL
/// is TRY_LATER) and a client-TLS binding is revoked by unbinding it; and a registry started from
/// configuration binds the services' own certificates before anyone can publish a CRL. A CRL that
/// exists is always applied: a revoked certificate, or one whose CA's CRL is stale, is refused.
/// </param>
public sealed record CertificateBindingPolicy(bool RequireRevocationData = false);
