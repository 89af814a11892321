namespace Mesh.Signature.Domain.Pki;

/// <summary>A <see cref="TrustSnapshot"/> decoded once per version: indexed certificates and parsed CRLs.</summary>
public sealed class PreparedTrust
{
    private readonly HashSet<string> _anchorThumbprints;

    public PreparedTrust(TrustSnapshot snapshot)
    {
        Version = snapshot.Version;
        Anchors = [.. snapshot.TrustAnchors.Select(c => new CertificateFacts(c))];
        Intermediates = [.. snapshot.Intermediates.Select(c => new CertificateFacts(c))];
        KnownCertificates = [.. snapshot.KnownCertificates.Select(c => new CertificateFacts(c))];
        _anchorThumbprints = new HashSet<string>(Anchors.Select(a => a.Thumbprint), StringComparer.Ordinal);
        var crls = new List<RevocationList>();
        foreach (var der in snapshot.Crls)
        {
            if (RevocationList.TryParse(der, out var crl, out var error))
            {
                crls.Add(crl!);
            }
            else
            {
                Problems.Add($"a CRL in the trust material is malformed and was ignored: {error}");
            }
        }

        Crls = crls;
    }

    public long Version { get; }

    public IReadOnlyList<CertificateFacts> Anchors { get; }

    public IReadOnlyList<CertificateFacts> Intermediates { get; }

    public IReadOnlyList<CertificateFacts> KnownCertificates { get; }

    public IReadOnlyList<RevocationList> Crls { get; }

    public List<string> Problems { get; } = [];

    public bool IsAnchor(CertificateFacts certificate) => _anchorThumbprints.Contains(certificate.Thumbprint);
}
