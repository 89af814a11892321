using System.Collections.Concurrent;
using Mesh.Errors;
using Mesh.Events;
using Mesh.Routing.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.IntegrationTests;

/// <summary>Records the routing events a hub delivers to a consumer group of its own.</summary>
public sealed class EventRecorder
{
    private readonly ConcurrentQueue<CloudEvent> received = new();
    private readonly SemaphoreSlim arrived = new(0);

    /// <summary>Subscribes the recorder to document.accepted and delivery.created.</summary>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton(this);
        services.AddMeshSubscription<Handler>(RoutingTopics.DocumentAccepted, "test-recorder");
        services.AddMeshSubscription<Handler>(RoutingTopics.DeliveryCreated, "test-recorder");
    }

    /// <summary>The event of <paramref name="topic"/> with CloudEvent id "topic:id", once it has arrived (10 s at most).</summary>
    public async Task<CloudEvent> WaitForAsync(string topic, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            if (received.FirstOrDefault(e => e.Topic == topic && e.Id == $"{topic}:{id}") is { } found)
            {
                return found;
            }

            await arrived.WaitAsync(timeout.Token);
        }
    }

    private sealed class Handler(EventRecorder recorder) : IEventHandler
    {
        public Task HandleAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
        {
            recorder.received.Enqueue(cloudEvent);
            recorder.arrived.Release();
            return Task.CompletedTask;
        }
    }
}

/// <summary>An event bus whose routing topics refuse every publish, as a bus that is down would.</summary>
public sealed class FailingRoutingEvents(IEventBus inner) : IEventBus
{
    /// <summary>Wraps the hub's bus.</summary>
    public static void Register(IServiceCollection services)
    {
        var descriptor = services.Last(d => d.ServiceType == typeof(IEventBus));
        services.Remove(descriptor);
        services.AddSingleton<IEventBus>(sp => new FailingRoutingEvents((IEventBus)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!))));
    }

    public ValueTask PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken = default) =>
        cloudEvent.Topic.StartsWith("routing.", StringComparison.Ordinal)
            ? throw new MeshException(ErrorKind.Unavailable, "BUS_DOWN", "The event bus is down (test double).")
            : inner.PublishAsync(cloudEvent, cancellationToken);

    public ValueTask PublishAllAsync(IReadOnlyList<CloudEvent> cloudEvents, CancellationToken cancellationToken = default) =>
        cloudEvents.Any(e => e.Topic.StartsWith("routing.", StringComparison.Ordinal))
            ? throw new MeshException(ErrorKind.Unavailable, "BUS_DOWN", "The event bus is down (test double).")
            : inner.PublishAllAsync(cloudEvents, cancellationToken);
}
