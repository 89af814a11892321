using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Mesh.Registry.Domain;
using Mesh.Signature.Domain;
using RegistryPurpose = Mesh.Registry.Domain.CertificatePurpose;
using SignaturePurpose = Mesh.Signature.Domain.CertificatePurpose;

namespace Mesh.Hub;

/// <summary>
/// The signature engine's trust material read from the registry in-process. The version follows
/// the registry's trust version, so the engine re-reads anchors and CRLs only when they change.
/// </summary>
public sealed class RegistryTrustMaterial : ITrustMaterial
{
    private readonly AgencyRegistry registry;
    private long version = -1;

    /// <summary>Creates the adapter and follows registry changes.</summary>
    public RegistryTrustMaterial(AgencyRegistry registry, RegistryChangeFeed feed)
    {
        ArgumentNullException.ThrowIfNull(feed);
        this.registry = registry;
        feed.Changed += change => Raise(change.TrustVersion);
    }

    /// <inheritdoc />
    public long Version => Interlocked.Read(ref version);

    /// <inheritdoc />
    public async ValueTask<TrustSnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        var material = await registry.TrustMaterialAsync(cancellationToken).ConfigureAwait(false);
        var roots = material.Anchors.Where(a => a.Kind == TrustAnchorKind.Root).Select(a => X509CertificateLoader.LoadCertificate(a.CertificateDer)).ToList();
        var intermediates = material.Anchors.Where(a => a.Kind != TrustAnchorKind.Root).Select(a => X509CertificateLoader.LoadCertificate(a.CertificateDer)).ToList();
        Raise(material.Version);
        return new TrustSnapshot(material.Version, roots, intermediates, [.. material.Crls.Select(c => c.CrlDer)]);
    }

    private void Raise(long observed)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref version);
            if (observed <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref version, observed, current) != current);
    }
}

/// <summary>
/// The registry's certificate bindings for the signature engine, cached; any registry change
/// (in-process, or from another instance through the change poller) clears the cache.
/// </summary>
public sealed class RegistryCertificateBindings : ICertificateBindings
{
    private readonly AgencyRegistry registry;
    private readonly ConcurrentDictionary<string, CertificateBinding?> cache = new(StringComparer.Ordinal);

    /// <summary>Creates the adapter and follows registry changes.</summary>
    public RegistryCertificateBindings(AgencyRegistry registry, RegistryChangeFeed feed)
    {
        ArgumentNullException.ThrowIfNull(feed);
        this.registry = registry;
        feed.Changed += _ => cache.Clear();
    }

    /// <inheritdoc />
    public async ValueTask<bool> IsBoundAsync(string sha256Thumbprint, string organId, SignaturePurpose purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sha256Thumbprint);
        var thumbprint = sha256Thumbprint.ToLowerInvariant();
        if (!cache.TryGetValue(thumbprint, out var binding))
        {
            binding = await registry.FindBindingAsync(thumbprint, cancellationToken).ConfigureAwait(false);
            cache.TryAdd(thumbprint, binding);
        }

        var wanted = purpose == SignaturePurpose.DocumentSigning ? RegistryPurpose.DocumentSigning : RegistryPurpose.ClientTls;
        return binding is not null && binding.Purpose == wanted && string.Equals(binding.OrganId, organId, StringComparison.Ordinal);
    }
}
