using System.Collections.Concurrent;
using Mesh.Agencies;
using Mesh.Registry.Domain;

namespace Mesh.Registry.Infrastructure;

/// <summary>
/// Agency lookups for the send path through a cache: a recipient check is a dictionary read.
/// Entries are dropped when the change feed reports the agency changed.
/// </summary>
public sealed class AgencyDirectory : IAgencyDirectory
{
    private readonly ConcurrentDictionary<string, AgencyInfo?> cache = new(StringComparer.Ordinal);
    private readonly AgencyRegistry registry;

    /// <summary>Creates the directory and subscribes to changes.</summary>
    public AgencyDirectory(AgencyRegistry registry, RegistryChangeFeed feed)
    {
        ArgumentNullException.ThrowIfNull(feed);
        this.registry = registry;
        feed.Changed += change =>
        {
            if (change.Kind == ChangeKind.Agency)
            {
                cache.TryRemove(change.Subject, out _);
            }
        };
    }

    /// <inheritdoc />
    public async ValueTask<AgencyInfo?> FindAsync(string organId, CancellationToken cancellationToken = default)
    {
        if (cache.TryGetValue(organId, out var cached))
        {
            return cached;
        }

        if (!Mesh.Domain.OrganId.TryParse(organId, out _))
        {
            return null;
        }

        var found = await registry.FindAsync(organId, cancellationToken).ConfigureAwait(false);
        var info = found is null ? null : new AgencyInfo(found.Value.OrganId, found.Value.DisplayName, found.Value.IsActive, found.Value.ParentOrganId);
        cache.TryAdd(organId, info);
        return info;
    }

    /// <inheritdoc />
    public async ValueTask<long> CountActiveAsync(CancellationToken cancellationToken = default) =>
        (await registry.AllAsync(cancellationToken).ConfigureAwait(false)).Count(a => a.IsActive);
}
