using System.Collections.Concurrent;
using Mesh.Identity;
using Mesh.Registry.Domain;

namespace Mesh.Registry.Infrastructure;

/// <summary>
/// Resolves client certificates for every call through a cache: a lookup on the hot path is a
/// dictionary read. Entries are dropped when the change feed reports a binding or agency change
/// (in-process at once; from other registry instances through <see cref="RegistryChangePoller"/>).
/// </summary>
public sealed class CertificateDirectory : ICertificateDirectory
{
    private readonly ConcurrentDictionary<string, CertificateResolution?> cache = new(StringComparer.Ordinal);
    private readonly AgencyRegistry registry;

    /// <summary>Creates the directory and subscribes to changes.</summary>
    public CertificateDirectory(AgencyRegistry registry, RegistryChangeFeed feed)
    {
        ArgumentNullException.ThrowIfNull(feed);
        this.registry = registry;
        feed.Changed += Invalidate;
    }

    /// <summary>Number of cached entries (for tests and metrics).</summary>
    public int CachedCount => cache.Count;

    /// <inheritdoc />
    public async ValueTask<CertificateResolution?> ResolveAsync(string thumbprint, CancellationToken cancellationToken = default)
    {
        if (cache.TryGetValue(thumbprint, out var cached))
        {
            return cached;
        }

        var resolution = await LoadAsync(thumbprint, cancellationToken).ConfigureAwait(false);
        cache.TryAdd(thumbprint, resolution);
        return resolution;
    }

    private async ValueTask<CertificateResolution?> LoadAsync(string thumbprint, CancellationToken cancellationToken)
    {
        if (thumbprint.Length != 64)
        {
            return null;
        }

        var binding = await registry.FindBindingAsync(thumbprint, cancellationToken).ConfigureAwait(false);
        if (binding is null)
        {
            return null;
        }

        var agency = await registry.FindAsync(binding.OrganId, cancellationToken).ConfigureAwait(false);
        var roles = new HashSet<CallerRole>(binding.Roles);
        return new CertificateResolution(new Caller(binding.OrganId, roles, binding.Thumbprint), agency?.Value.IsActive == true, binding.Purpose == CertificatePurpose.ClientTls);
    }

    private void Invalidate(RegistryChange change)
    {
        switch (change.Kind)
        {
            case ChangeKind.CertificateBinding:
                cache.TryRemove(change.Subject, out _);
                break;
            case ChangeKind.Agency:
                // An agency's state is part of every resolution for its certificates.
                foreach (var (key, value) in cache)
                {
                    if (value is null || value.Caller.OrganId == change.Subject)
                    {
                        cache.TryRemove(key, out _);
                    }
                }

                break;
        }
    }
}
