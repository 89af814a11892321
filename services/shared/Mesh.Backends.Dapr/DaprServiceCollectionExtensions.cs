using Dapr;
using Dapr.Client;
using Grpc.Net.Client;
using Mesh.Backends.Dapr;
using Mesh.Events;
using Mesh.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Dapr backend.</summary>
public static class DaprServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IStateStore"/> and <see cref="IEventBus"/> over the Dapr sidecar, configured from
    /// <c>Mesh:Backend:Dapr</c> of <paramref name="configuration"/> and validated at start. Subscriptions are the
    /// <see cref="Mesh.Events.Subscription"/> singletons registered in DI; map their endpoints with
    /// <see cref="MapMeshDaprSubscriptions"/>.
    /// </summary>
    public static IServiceCollection AddMeshDaprBackend(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<DaprOptions>()
            .Bind(configuration.GetSection(DaprOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.GrpcEndpoint) || Uri.TryCreate(o.GrpcEndpoint, UriKind.Absolute, out _), "Mesh:Backend:Dapr:GrpcEndpoint must be an absolute URI.")
            .ValidateOnStart();

        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DaprOptions>>().Value;
            var builder = new DaprClientBuilder()
                .UseGrpcChannelOptions(new GrpcChannelOptions { MaxReceiveMessageSize = options.MaxMessageBytes, MaxSendMessageSize = options.MaxMessageBytes });
            if (!string.IsNullOrEmpty(options.GrpcEndpoint))
            {
                builder.UseGrpcEndpoint(options.GrpcEndpoint);
            }

            return builder.Build();
        });
        services.TryAddSingleton(sp => new DaprStateStore(sp.GetRequiredService<DaprClient>(), sp.GetRequiredService<IOptions<DaprOptions>>().Value));
        services.TryAddSingleton<IStateStore>(sp => sp.GetRequiredService<DaprStateStore>());
        services.TryAddSingleton(sp => new DaprEventBus(sp.GetRequiredService<DaprClient>(), sp.GetRequiredService<IOptions<DaprOptions>>().Value));
        services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<DaprEventBus>());
        services.TryAddSingleton<DaprEventDelivery>();
        return services;
    }

    /// <summary>
    /// Maps <c>GET /dapr/subscribe</c> and one <c>POST /mesh/events/{topic}</c> endpoint per subscribed topic,
    /// declared to Dapr with the pub/sub component, the topic and its dead-letter topic.
    /// </summary>
    public static IEndpointRouteBuilder MapMeshDaprSubscriptions(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var delivery = endpoints.ServiceProvider.GetRequiredService<DaprEventDelivery>();
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<DaprOptions>>().Value;
        endpoints.MapSubscribeHandler();
        foreach (var (topic, subscriptions) in delivery.Topics)
        {
            endpoints.MapPost("/mesh/events/" + Uri.EscapeDataString(topic), context => delivery.DeliverAsync(topic, context))
                .WithTopic(new TopicOptions { PubsubName = options.PubSubName, Name = topic, DeadLetterTopic = subscriptions[0].DeadLetterTopic });
        }

        return endpoints;
    }
}
