using Mesh.Agencies;
using Mesh.Auditing;
using Mesh.Identity;
using Mesh.Signing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Mesh.ServiceDefaults.Peers;

/// <summary>Binds the cross-service ports to gRPC clients of peer processes.</summary>
public static class PeerExtensions
{
    /// <summary>Peer addresses and channels.</summary>
    public static IServiceCollection AddMeshPeers(this IServiceCollection services)
    {
        services.AddOptions<PeerOptions>().BindConfiguration("Mesh:Peers");
        services.TryAddSingleton<PeerChannels>();
        return services;
    }

    /// <summary>
    /// Caller authentication and agency lookups through the registry's gRPC API, for a service
    /// running without the registry in its process. No-op where the registry is in-process.
    /// </summary>
    public static IServiceCollection AddMeshRegistryPeer(this IServiceCollection services)
    {
        services.AddMeshPeers();
        if (services.Any(d => d.ServiceType == typeof(RegistryPeer)) || services.Any(d => d.ServiceType == typeof(ICertificateDirectory)))
        {
            return services;
        }

        services.AddSingleton<RegistryPeer>();
        services.AddSingleton<ICertificateDirectory>(sp => sp.GetRequiredService<RegistryPeer>());
        services.TryAddSingleton<IAgencyDirectory>(sp => sp.GetRequiredService<RegistryPeer>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<RegistryPeer>());
        return services;
    }

    /// <summary>
    /// For a service in its own process: every Mesh.Core port it needs and does not implement itself,
    /// through its peer's gRPC API (<c>Mesh:Peers</c>): caller identity and agencies (registry),
    /// <see cref="IAuditTrail"/> (audit), <see cref="ISignatureVerifier"/> and <see cref="IHubSigner"/>
    /// (signature). Call after the service's own registrations: what it has in-process wins.
    /// </summary>
    public static IServiceCollection AddMeshRemotePeers(this IServiceCollection services)
    {
        services.AddMeshRegistryPeer();
        services.TryAddSingleton<AuditPeer>();
        services.TryAddSingleton<IAuditTrail>(sp => sp.GetRequiredService<AuditPeer>());
        services.TryAddSingleton<SignaturePeer>();
        services.TryAddSingleton<ISignatureVerifier>(sp => sp.GetRequiredService<SignaturePeer>());
        services.TryAddSingleton<IHubSigner>(sp => sp.GetRequiredService<SignaturePeer>());
        return services;
    }
}
