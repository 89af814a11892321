namespace Mesh.Identity;

/// <summary>What the holder of a client certificate may do.</summary>
public enum CallerRole
{
    /// <summary>An agency adapter acting for its own agency.</summary>
    Agency = 1,
    /// <summary>Registry administration (the operator).</summary>
    Admin = 2,
    /// <summary>Another Mesh service; may call internal RPCs (Sign, Append).</summary>
    HubService = 3,
}

/// <summary>An authenticated caller: the agency its client certificate is bound to, and its roles.</summary>
/// <param name="OrganId">The agency the certificate speaks for.</param>
/// <param name="Roles">Roles of the binding.</param>
/// <param name="Thumbprint">SHA-256 thumbprint (lower-case hex) of the client certificate.</param>
public sealed record Caller(string OrganId, IReadOnlySet<CallerRole> Roles, string Thumbprint)
{
    /// <summary>Whether the caller may administer the registry.</summary>
    public bool IsAdmin => Roles.Contains(CallerRole.Admin);

    /// <summary>Whether the caller is another Mesh service.</summary>
    public bool IsHubService => Roles.Contains(CallerRole.HubService);

    /// <summary>The hub itself, for in-process calls between services of one process.</summary>
    public static Caller Hub { get; } = new("hub", new HashSet<CallerRole> { CallerRole.HubService, CallerRole.Admin }, "");
}

/// <summary>The answer of the registry about one client certificate.</summary>
/// <param name="Caller">Who it identifies.</param>
/// <param name="AgencyActive">Whether the agency is active (suspended/retired agencies are refused).</param>
/// <param name="IsClientTls">Whether the certificate is bound for client TLS (document-signing certificates cannot log in).</param>
public sealed record CertificateResolution(Caller Caller, bool AgencyActive, bool IsClientTls);

/// <summary>
/// Resolves a client certificate to the agency it is bound to. The registry implements it
/// in-process (all-in-one hub) or through its gRPC API (one process per service), with a cache
/// invalidated by registry changes: this lookup is on every call's path.
/// </summary>
public interface ICertificateDirectory
{
    /// <summary>Resolves a SHA-256 thumbprint (lower-case hex); null when the certificate is not bound.</summary>
    ValueTask<CertificateResolution?> ResolveAsync(string thumbprint, CancellationToken cancellationToken = default);
}
