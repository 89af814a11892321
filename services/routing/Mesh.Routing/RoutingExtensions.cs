using Mesh.Events;
using Mesh.ServiceDefaults.Peers;
using Mesh.Storage;
using Mesh.Routing.Grpc;
using Mesh.Routing.Infrastructure;
using Mesh.State;

namespace Mesh.Routing;

/// <summary>Composition of the routing service (used by its own process and by Mesh.Hub).</summary>
public static class RoutingExtensions
{
    /// <summary>
    /// Registers the exchange, inbox, deadlines and, unless the backend is single-process, the event
    /// consumer that wakes watchers. Call after the backend is registered (<c>AddMeshDefaults</c>). Needs
    /// IBlobStorage, ISignatureVerifier, IHubSigner, IAgencyDirectory and IAuditTrail from the host.
    /// </summary>
    public static IServiceCollection AddMeshRouting(this IServiceCollection services)
    {
        services.AddOptions<RoutingOptions>()
            .BindConfiguration(RoutingOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Problem() is null, "Mesh:Routing is invalid (calendar time zone, working hours, cut-off or size limits).")
            .ValidateOnStart();
        services.AddSingleton<InboxNotifier>();
        services.AddSingleton<InboxWriter>();
        services.AddSingleton<UploadStaging>();
        services.AddSingleton<UploadStatusQuery>();
        services.AddHostedService<UploadRecordSweeper>();
        services.AddSingleton<UnfinishedReceipts>();
        services.AddSingleton<DocumentExchange>();
        services.AddHostedService<ReceiptSweeper>();
        services.AddSingleton<DeliveryOperations>();
        services.AddHostedService<DeadlineMonitor>();

        // Watchers of another routing process sharing the store are woken through the bus; this
        // process's are woken by the inbox commit itself. A single-process backend (embedded) has
        // no other process, and each wake would cost a durable claim and acknowledgement per event.
        if (!SingleProcessBackend.IsRegistered(services))
        {
            services.AddMeshSubscription<InboxWakeHandler>(RoutingTopics.DeliveryCreated, "routing-inbox-wake");
            services.AddMeshSubscription<InboxWakeHandler>(RoutingTopics.StatusReported, "routing-inbox-wake");
        }

        return services;
    }

    /// <summary>
    /// Routing in its own process: IBlobStorage, ISignatureVerifier, IHubSigner, IAgencyDirectory,
    /// caller identity and IAuditTrail through the peers' gRPC APIs (<c>Mesh:Peers</c>). The all-in-one
    /// hub composes them in-process instead.
    /// </summary>
    public static IServiceCollection AddMeshRoutingPeers(this IServiceCollection services)
    {
        services.AddMeshStoragePeer();
        services.AddMeshRemotePeers();
        return services;
    }

    /// <summary>Maps the routing gRPC API.</summary>
    public static IEndpointRouteBuilder MapMeshRouting(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<RoutingGrpcService>();
        return endpoints;
    }
}
