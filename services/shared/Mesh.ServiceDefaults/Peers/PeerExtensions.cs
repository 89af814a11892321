using Mesh.Agencies;
using Mesh.Identity;
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
        services.TryAddSingleton<RegistryPeer>();
        services.TryAddSingleton<ICertificateDirectory>(sp => sp.GetRequiredService<RegistryPeer>());
        services.TryAddSingleton<IAgencyDirectory>(sp => sp.GetRequiredService<RegistryPeer>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<RegistryPeer>());
        return services;
    }
}
