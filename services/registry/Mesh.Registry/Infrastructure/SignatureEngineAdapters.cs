using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Mesh.Registry.Domain;
using Mesh.Signature.Domain;
using Mesh.State;
using RegistryPurpose = Mesh.Registry.Domain.CertificatePurpose;
using SignaturePurpose = Mesh.Signature.Domain.CertificatePurpose;

namespace Mesh.Registry.Infrastructure;

// The registry runs the signature engine (a library: Mesh.Signature references neither the registry
// nor its process) to validate the certificates it binds, in the hub and in its own process alike.
// Calling the signature service over gRPC instead would make the registry depend on a service that
// itself reads its trust material from the registry and authenticates its callers through the
// registry: at first start the registry could not bind the services' own certificates (the signature
// service would refuse the registry's unbound certificate), and binding would fail whenever the
// signature service is down. In-process, the anchors and CRLs are the registry's own, read from its
// store: same code, same CRLs, no network, no start-up ordering.

/// <summary>
/// The signature engine's trust material, read from the registry's store. The version follows the
/// registry's trust version through the change feed (raised on the writer's thread, before the write
/// returns, so a CRL or an anchor removal takes effect for the very next validation).
/// </summary>
public sealed class RegistryTrustMaterial : ITrustMaterial
{
    private readonly TrustMaterialReader reader;
    private long version = -1;

    /// <summary>Creates the adapter and follows registry changes (in-process, and other instances' through the poller).</summary>
    public RegistryTrustMaterial(TrustMaterialReader reader, RegistryChangeFeed feed)
    {
        ArgumentNullException.ThrowIfNull(feed);
        this.reader = reader;
        feed.Changed += change => Raise(change.TrustVersion);
    }

    /// <inheritdoc />
    public long Version => Interlocked.Read(ref version);

    /// <inheritdoc />
    public async ValueTask<TrustSnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        // The reader takes the version before the anchors and CRLs, so a snapshot's content is never older than its label.
        var material = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
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
/// The registry's certificate bindings for the signature engine, read from the store and cached; any
/// registry change (in-process, or from another instance through the change poller) clears the cache.
/// </summary>
public sealed class RegistryCertificateBindings : ICertificateBindings
{
    private readonly IStateStore store;
    private readonly ConcurrentDictionary<string, CertificateBinding?> cache = new(StringComparer.Ordinal);

    /// <summary>Creates the adapter and follows registry changes.</summary>
    public RegistryCertificateBindings(IStateStore store, RegistryChangeFeed feed)
    {
        ArgumentNullException.ThrowIfNull(feed);
        this.store = store;
        feed.Changed += _ => cache.Clear();
    }

    /// <inheritdoc />
    public async ValueTask<bool> IsBoundAsync(string sha256Thumbprint, string organId, SignaturePurpose purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sha256Thumbprint);
        var thumbprint = sha256Thumbprint.ToLowerInvariant();
        if (!cache.TryGetValue(thumbprint, out var binding))
        {
            binding = await AgencyRegistry.FindBindingAsync(store, thumbprint, cancellationToken).ConfigureAwait(false);
            cache.TryAdd(thumbprint, binding);
        }

        var wanted = purpose == SignaturePurpose.DocumentSigning ? RegistryPurpose.DocumentSigning : RegistryPurpose.ClientTls;
        return binding is not null && binding.Purpose == wanted && string.Equals(binding.OrganId, organId, StringComparison.Ordinal);
    }
}
