namespace Mesh.Agencies;

/// <summary>What other services need to know about an agency.</summary>
/// <param name="OrganId">The agency's identifier.</param>
/// <param name="DisplayName">Official name.</param>
/// <param name="IsActive">Whether it may send and receive.</param>
/// <param name="ParentOrganId">Its parent, if any.</param>
public sealed record AgencyInfo(string OrganId, string DisplayName, bool IsActive, string? ParentOrganId);

/// <summary>
/// Agency lookups for the send path (recipients exist and are active). The registry implements
/// it in-process with a cache invalidated by its change feed, or through its gRPC API.
/// </summary>
public interface IAgencyDirectory
{
    /// <summary>Finds an agency; null when it is not registered.</summary>
    ValueTask<AgencyInfo?> FindAsync(string organId, CancellationToken cancellationToken = default);

    /// <summary>How many agencies are active in the registry now (the "95/95 units connected" denominator).</summary>
    ValueTask<long> CountActiveAsync(CancellationToken cancellationToken = default);
}
