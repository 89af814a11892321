using Mesh.Events;
using Mesh.Routing.Infrastructure;
using Mesh.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Routing.Tests;

public sealed class CompositionTests
{
    [Fact]
    public void AddMeshRouting_OnTheEmbeddedBackend_WakesWatchersOnlyThroughItsOwnCommits()
    {
        var services = new ServiceCollection();
        services.AddMeshEmbeddedBackend(new ConfigurationBuilder().Build());

        services.AddMeshRouting();

        Subscriptions(services).Should().NotContain(s => s.HandlerType == typeof(InboxWakeHandler), "the embedded backend is one process per data directory: no other routing process has watchers to wake");
    }

    [Fact]
    public void AddMeshRouting_OnASharedBackend_SubscribesTheInboxWakeToDeliveriesAndStatuses()
    {
        var services = new ServiceCollection();

        services.AddMeshRouting();

        Subscriptions(services).Where(s => s.HandlerType == typeof(InboxWakeHandler)).Select(s => s.Topic)
            .Should().BeEquivalentTo(RoutingTopics.DeliveryCreated, RoutingTopics.StatusReported);
    }

    private static IEnumerable<Subscription> Subscriptions(ServiceCollection services) =>
        services.Where(d => d.ServiceType == typeof(Subscription)).Select(d => (Subscription)d.ImplementationInstance!);
}
