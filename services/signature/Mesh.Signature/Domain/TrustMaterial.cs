using System.Security.Cryptography.X509Certificates;

namespace Mesh.Signature.Domain;

/// <summary>
/// What the registry holds for validation. <see cref="Version"/> increases whenever an anchor, an
/// intermediate, a known certificate or a CRL changes, so cached chain results can be keyed on it.
/// </summary>
public interface ITrustMaterial
{
    long Version { get; }

    ValueTask<TrustSnapshot> GetSnapshotAsync(CancellationToken cancellationToken);
}

/// <summary>An immutable view of the trust material at one version.</summary>
public sealed class TrustSnapshot(
    long version,
    IReadOnlyList<X509Certificate2> trustAnchors,
    IReadOnlyList<X509Certificate2> intermediates,
    IReadOnlyList<byte[]> crls,
    IReadOnlyList<X509Certificate2>? knownCertificates = null)
{
    public long Version { get; } = version;

    public IReadOnlyList<X509Certificate2> TrustAnchors { get; } = trustAnchors;

    public IReadOnlyList<X509Certificate2> Intermediates { get; } = intermediates;

    /// <summary>DER-encoded X.509 CRLs.</summary>
    public IReadOnlyList<byte[]> Crls { get; } = crls;

    /// <summary>Registered end-entity certificates, used when a signature does not carry its signer certificate.</summary>
    public IReadOnlyList<X509Certificate2> KnownCertificates { get; } = knownCertificates ?? [];
}

public enum CertificatePurpose
{
    DocumentSigning,
    ClientTls,
}

/// <summary>The registry's certificate bindings (certificate ↔ OrganId).</summary>
public interface ICertificateBindings
{
    /// <param name="sha256Thumbprint">Upper-case hex SHA-256 of the certificate DER.</param>
    ValueTask<bool> IsBoundAsync(string sha256Thumbprint, string organId, CertificatePurpose purpose, CancellationToken cancellationToken);
}
