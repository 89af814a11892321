using System.Security.Cryptography.X509Certificates;
using Mesh.ServiceDefaults.Peers;
using Mesh.Signature.Domain;
using Registry = Mesh.Contracts.Registry.V1;

namespace Mesh.Signature.Infrastructure;

/// <summary>
/// Trust anchors and CRLs from the registry process (GetTrustMaterial), cached by <see cref="RegistryPeer"/>
/// and re-read when its change stream reports TRUST_MATERIAL. While the stream is down the version is
/// unknown, so the engine re-reads for every validation rather than trust a possibly revoked chain.
/// </summary>
public sealed class RegistryPeerTrustMaterial(RegistryPeer registry) : ITrustMaterial
{
    private Decoded? decoded;

    public long Version => registry.TrustVersion;

    public async ValueTask<TrustSnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        var material = await registry.GetTrustMaterialAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref decoded) is { } known && ReferenceEquals(known.Source, material))
        {
            return known.Snapshot;
        }

        var roots = material.TrustAnchors.Where(a => a.Kind == Registry.TrustAnchorKind.Root).Select(a => X509CertificateLoader.LoadCertificate(a.CertificateDer.Span)).ToList();
        var intermediates = material.TrustAnchors.Where(a => a.Kind != Registry.TrustAnchorKind.Root).Select(a => X509CertificateLoader.LoadCertificate(a.CertificateDer.Span)).ToList();
        var snapshot = new TrustSnapshot(material.Version, roots, intermediates, [.. material.Crls.Select(c => c.CrlDer.ToByteArray())]);
        Volatile.Write(ref decoded, new Decoded(material, snapshot));
        return snapshot;
    }

    private sealed record Decoded(Registry.GetTrustMaterialResponse Source, TrustSnapshot Snapshot);
}

/// <summary>Certificate bindings from the registry process, through <see cref="RegistryPeer"/>'s change-invalidated cache.</summary>
public sealed class RegistryPeerCertificateBindings(RegistryPeer registry) : ICertificateBindings
{
    public async ValueTask<bool> IsBoundAsync(string sha256Thumbprint, string organId, CertificatePurpose purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sha256Thumbprint);
        var resolution = await registry.ResolveAsync(sha256Thumbprint.ToLowerInvariant(), cancellationToken).ConfigureAwait(false);
        return resolution is not null
            && string.Equals(resolution.Caller.OrganId, organId, StringComparison.Ordinal)
            && resolution.IsClientTls == (purpose == CertificatePurpose.ClientTls);
    }
}
