using System.ComponentModel.DataAnnotations;
using Mesh.Backends.Dapr;
using Mesh.Backends.Embedded;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.ServiceDefaults.Hosting;

/// <summary>Which implementation of the state and event ports a process uses.</summary>
public enum BackendKind
{
    /// <summary>SQLite in the data directory with an in-process bus over a durable outbox (default).</summary>
    Embedded = 1,

    /// <summary>A Redis server: Lua-checked state, Redis Streams consumer groups (<c>Mesh:Backend:Redis</c>).</summary>
    Redis = 2,

    /// <summary>The Dapr sidecar's state and pub/sub components (<c>Mesh:Backend:Dapr</c>).</summary>
    Dapr = 3,
}

/// <summary>Backend selection, bound from <c>Mesh:Backend</c>.</summary>
public sealed class MeshBackendOptions
{
    /// <summary>The backend (default Embedded).</summary>
    [EnumDataType(typeof(BackendKind))]
    public BackendKind Kind { get; set; } = BackendKind.Embedded;
}

/// <summary>Registers the configured backend; no service code knows which one it has.</summary>
public static class MeshBackendExtensions
{
    /// <summary>Registers IStateStore and IEventBus from <c>Mesh:Backend:Kind</c>.</summary>
    public static IServiceCollection AddMeshBackend(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MeshBackendOptions>().BindConfiguration("Mesh:Backend").ValidateDataAnnotations().ValidateOnStart();
        var kind = configuration.GetSection("Mesh:Backend").Get<MeshBackendOptions>()?.Kind ?? BackendKind.Embedded;
        switch (kind)
        {
            case BackendKind.Embedded:
                services.AddMeshEmbeddedBackend(configuration);
                // The embedded database lives in the process's data directory unless placed elsewhere explicitly.
                services.PostConfigure<EmbeddedOptions>(o =>
                {
                    if (configuration[$"{EmbeddedOptions.SectionName}:DataDirectory"] is null)
                    {
                        o.DataDirectory = configuration["Mesh:DataDirectory"] ?? new MeshDataOptions().DataDirectory;
                    }
                });
                break;
            case BackendKind.Redis:
                services.AddMeshRedisBackend(configuration);
                break;
            case BackendKind.Dapr:
                services.AddMeshDaprBackend(configuration);
                break;
            default:
                throw new InvalidOperationException($"Mesh:Backend:Kind '{kind}' is not supported.");
        }

        return services;
    }

    /// <summary>
    /// Maps what the configured backend needs from the app: with Dapr, <c>GET /dapr/subscribe</c> and the
    /// subscription endpoints the sidecar posts events to; nothing for the other backends.
    /// </summary>
    public static IEndpointRouteBuilder MapMeshBackend(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<DaprEventDelivery>() is not null)
        {
            endpoints.MapMeshDaprSubscriptions();
        }

        return endpoints;
    }
}
