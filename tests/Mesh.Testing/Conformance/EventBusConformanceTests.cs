using System.Text;
using FluentAssertions;
using Mesh.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Mesh.Testing.Conformance;

/// <summary>
/// The <see cref="IEventBus"/> contract. A backend's test class derives from this and only registers the
/// backend; each test runs it in hosts it starts and stops (a stop is a process exit as far as the bus can
/// tell), on a fresh isolated instance that survives between those hosts.
/// </summary>
public abstract class EventBusConformanceTests : IAsyncLifetime
{
    private const string Topic = "mesh.test.events";
    private readonly string instanceName = "bus-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<IHost> hosts = [];

    /// <summary>Sees every delivery made to the test handlers, across hosts.</summary>
    protected EventProbe Probe { get; } = new();

    /// <summary>
    /// Registers the backend (its <see cref="IEventBus"/> and whatever dispatches the registered
    /// <see cref="Subscription"/>s) for <paramref name="instanceName"/>; registered again with the same
    /// name in a later host it must see the same durable data.
    /// </summary>
    protected abstract void AddBackend(IServiceCollection services, string instanceName);

    /// <summary>Removes every trace of the instance after the test.</summary>
    protected virtual Task DeleteInstanceAsync(string instanceName) => Task.CompletedTask;

    /// <inheritdoc />
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var host in hosts.ToList())
        {
            await StopAsync(host);
        }

        await DeleteInstanceAsync(instanceName);
    }

    /// <summary>Starts a host (a "process") with the backend and the given subscriptions.</summary>
    protected async Task<IHost> StartAsync(params Subscription[] subscriptions)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton(Probe);
        foreach (var subscription in subscriptions)
        {
            builder.Services.AddSingleton(subscription);
            builder.Services.TryAddScoped(subscription.HandlerType);
        }

        AddBackend(builder.Services, instanceName);
        var host = builder.Build();
        hosts.Add(host);
        await host.StartAsync();
        return host;
    }

    /// <summary>Stops a host the way a process shuts down: handlers are cancelled, nothing more is acknowledged.</summary>
    protected async Task StopAsync(IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        hosts.Remove(host);
        await host.StopAsync();
        if (host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }

    /// <summary>A subscription of <typeparamref name="THandler"/> to the test topic with fast retries.</summary>
    protected static Subscription Subscribe<THandler>(string group, int maxAttempts = 8, string topic = Topic)
        where THandler : IEventHandler =>
        new(topic, group, typeof(THandler))
        {
            MaxAttempts = maxAttempts,
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(50),
        };

    /// <summary>A new event on the test topic.</summary>
    protected static CloudEvent NewEvent(string type = Scripts.Ok, string? payload = null) =>
        new(Guid.NewGuid().ToString("N"), "/mesh/tests", type, Topic, Encoding.UTF8.GetBytes(payload ?? "payload"));

    private static IEventBus Bus(IHost host) => host.Services.GetRequiredService<IEventBus>();

    private static void ShouldBeSameEvent(CloudEvent actual, CloudEvent expected)
    {
        actual.Id.Should().Be(expected.Id);
        actual.Source.Should().Be(expected.Source);
        actual.Type.Should().Be(expected.Type);
        actual.Topic.Should().Be(expected.Topic);
        actual.Data.ToArray().Should().Equal(expected.Data.ToArray());
        actual.DataContentType.Should().Be(expected.DataContentType);
        actual.Time.Should().Be(expected.Time);
        actual.Time.Offset.Should().Be(expected.Time.Offset);
        actual.Subject.Should().Be(expected.Subject);
        actual.TraceParent.Should().Be(expected.TraceParent);
        actual.TraceState.Should().Be(expected.TraceState);
    }

    [Fact]
    public async Task PublishAsync_Subscribed_HandlerGetsIdenticalEvent()
    {
        var host = await StartAsync(Subscribe<RecordingHandler<GroupA>>("group-a"));
        var published = NewEvent(payload: "7816/VPCP-TTĐT") with
        {
            DataContentType = "application/xml",
            Time = new DateTimeOffset(2026, 11, 30, 8, 15, 42, 123, TimeSpan.FromHours(7)).AddTicks(4567),
            Subject = "000.00.00.G22,2026/11/30,7816/VPCP-TTĐT",
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            TraceState = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
        };

        await Bus(host).PublishAsync(published);

        await Probe.WaitUntilAsync(p => p.Count(RecordingHandler<GroupA>.Name, published.Id) >= 1, "the event is delivered");
        ShouldBeSameEvent(Probe.For(RecordingHandler<GroupA>.Name)[0].Event, published);
    }

    [Fact]
    public async Task PublishAsync_OptionalFieldsUnset_DeliveredUnset()
    {
        var host = await StartAsync(Subscribe<RecordingHandler<GroupA>>("group-a"));
        var published = new CloudEvent(Guid.NewGuid().ToString("N"), "/mesh/tests", Scripts.Ok, Topic, ReadOnlyMemory<byte>.Empty);

        await Bus(host).PublishAsync(published);

        await Probe.WaitUntilAsync(p => p.Count(RecordingHandler<GroupA>.Name, published.Id) >= 1, "the event is delivered");
        ShouldBeSameEvent(Probe.For(RecordingHandler<GroupA>.Name)[0].Event, published);
    }

    [Fact]
    public async Task PublishAllAsync_EventsOnTwoTopics_EachSubscriberGetsItsTopicsEventsIntact()
    {
        const string Other = Topic + ".other";
        var host = await StartAsync(Subscribe<RecordingHandler<GroupA>>("group-a"), Subscribe<RecordingHandler<GroupB>>("group-b", topic: Other));
        var onTopic = Enumerable.Range(0, 3).Select(i => NewEvent(payload: $"delivery {i}") with { Subject = $"agency-{i}" }).ToList();
        var onOther = NewEvent(payload: "accepted") with { Topic = Other, TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

        await Bus(host).PublishAllAsync([onTopic[0], onOther, onTopic[1], onTopic[2]]);

        await Probe.WaitUntilAsync(
            p => onTopic.All(e => p.Count(RecordingHandler<GroupA>.Name, e.Id) >= 1) && p.Count(RecordingHandler<GroupB>.Name, onOther.Id) >= 1,
            "every event reaches the subscriber of its topic");
        Probe.DistinctCount(RecordingHandler<GroupA>.Name).Should().Be(3);
        Probe.DistinctCount(RecordingHandler<GroupB>.Name).Should().Be(1);
        foreach (var expected in onTopic)
        {
            ShouldBeSameEvent(Probe.For(RecordingHandler<GroupA>.Name).First(d => d.Event.Id == expected.Id).Event, expected);
        }

        ShouldBeSameEvent(Probe.For(RecordingHandler<GroupB>.Name)[0].Event, onOther);
    }

    [Fact]
    public async Task PublishAsync_TwoConsumerGroups_EachGroupGetsEveryEvent()
    {
        var host = await StartAsync(Subscribe<RecordingHandler<GroupA>>("group-a"), Subscribe<RecordingHandler<GroupB>>("group-b"));
        var events = Enumerable.Range(0, 20).Select(i => NewEvent(payload: $"event {i}")).ToList();

        foreach (var cloudEvent in events)
        {
            await Bus(host).PublishAsync(cloudEvent);
        }

        await Probe.WaitUntilAsync(
            p => events.All(e => p.Count(RecordingHandler<GroupA>.Name, e.Id) >= 1 && p.Count(RecordingHandler<GroupB>.Name, e.Id) >= 1),
            "both groups have every event");
        Probe.DistinctCount(RecordingHandler<GroupA>.Name).Should().Be(events.Count);
        Probe.DistinctCount(RecordingHandler<GroupB>.Name).Should().Be(events.Count);
    }

    [Fact]
    public async Task HandleAsync_ThrowsTwiceThenSucceeds_DeliveredThreeTimesThenNoMore()
    {
        var host = await StartAsync(Subscribe<ScriptedHandler<GroupA>>("group-a", maxAttempts: 5));
        var flaky = NewEvent(Scripts.FailTwice);

        await Bus(host).PublishAsync(flaky);

        await Probe.WaitUntilAsync(p => p.Count(ScriptedHandler<GroupA>.Name, flaky.Id) >= 3, "the third delivery");
        // A barrier that itself needs three deliveries spaced by the same backoff: by the time it is done,
        // a redelivery of the first event after its success would have shown up.
        var barrier = NewEvent(Scripts.FailTwice);
        await Bus(host).PublishAsync(barrier);
        await Probe.WaitUntilAsync(p => p.Count(ScriptedHandler<GroupA>.Name, barrier.Id) >= 3, "the barrier event succeeds");
        Probe.Count(ScriptedHandler<GroupA>.Name, flaky.Id).Should().Be(3);
        Probe.Count(ScriptedHandler<GroupA>.Name, barrier.Id).Should().Be(3);
    }

    [Fact]
    public async Task HandleAsync_AlwaysThrows_EventGoesToDeadLetterTopicAfterMaxAttempts()
    {
        var subscription = Subscribe<ScriptedHandler<GroupA>>("group-a", maxAttempts: 3);
        var host = await StartAsync(subscription, Subscribe<RecordingHandler<DeadLetterReaders>>("dead-letters", topic: subscription.DeadLetterTopic));
        var poison = NewEvent(Scripts.FailAlways, payload: "poison");

        await Bus(host).PublishAsync(poison);

        await Probe.WaitUntilAsync(p => p.Count(RecordingHandler<DeadLetterReaders>.Name, poison.Id) >= 1, "the event reaches the dead-letter topic");
        Probe.Count(ScriptedHandler<GroupA>.Name, poison.Id).Should().Be(3);
        var deadLetter = Probe.For(RecordingHandler<DeadLetterReaders>.Name)[0].Event;
        deadLetter.Id.Should().Be(poison.Id);
        deadLetter.Type.Should().Be(poison.Type);
        deadLetter.Source.Should().Be(poison.Source);
        deadLetter.Data.ToArray().Should().Equal(poison.Data.ToArray());
    }

    [Fact]
    public async Task HandleAsync_PoisonEvent_DoesNotBlockLaterEvents()
    {
        var host = await StartAsync(Subscribe<ScriptedHandler<GroupA>>("group-a", maxAttempts: 1000));
        var poison = NewEvent(Scripts.FailAlways);
        var healthy = NewEvent();

        await Bus(host).PublishAsync(poison);
        await Bus(host).PublishAsync(healthy);

        await Probe.WaitUntilAsync(p => p.Count(ScriptedHandler<GroupA>.Name, healthy.Id) >= 1, "the healthy event is delivered");
        await Probe.WaitUntilAsync(p => p.Count(ScriptedHandler<GroupA>.Name, poison.Id) >= 2, "the poison event is retried");
    }

    [Fact]
    public async Task PublishAsync_NoSubscriberRunning_DeliveredAfterReopen()
    {
        var publisher = await StartAsync();
        var events = Enumerable.Range(0, 5).Select(i => NewEvent(payload: $"offline {i}")).ToList();
        foreach (var cloudEvent in events)
        {
            await Bus(publisher).PublishAsync(cloudEvent);
        }

        await StopAsync(publisher);

        await StartAsync(Subscribe<RecordingHandler<GroupA>>("group-a"));
        await Probe.WaitUntilAsync(p => events.All(e => p.Count(RecordingHandler<GroupA>.Name, e.Id) >= 1), "every event published offline is delivered");
        Probe.For(RecordingHandler<GroupA>.Name).Select(d => d.Event.Data.ToArray()).Should().BeEquivalentTo(events.Select(e => e.Data.ToArray()));
    }

    [Fact]
    public async Task HandleAsync_ProcessStopsMidDelivery_RedeliveredAfterReopen()
    {
        var subscription = Subscribe<ScriptedHandler<GroupA>>("group-a");
        var first = await StartAsync(subscription);
        var inFlight = NewEvent(Scripts.BlockUntilStopped);
        await Bus(first).PublishAsync(inFlight);
        await Probe.WaitUntilAsync(p => p.Count(ScriptedHandler<GroupA>.Name, inFlight.Id) == 1, "the handler is running");

        await StopAsync(first);
        await StartAsync(subscription);

        await Probe.WaitUntilAsync(p => p.Count(ScriptedHandler<GroupA>.Name, inFlight.Id) >= 2, "the interrupted event is delivered again");
    }

    [Fact]
    public async Task PublishAsync_ThousandConcurrentPublishes_AllDelivered()
    {
        const int Count = 1000;
        var host = await StartAsync(Subscribe<RecordingHandler<GroupA>>("group-a"));
        var bus = Bus(host);
        var events = Enumerable.Range(0, Count).Select(i => NewEvent(payload: $"burst {i}")).ToList();

        await Task.WhenAll(events.Select(e => Task.Run(async () => await bus.PublishAsync(e))));

        await Probe.WaitUntilAsync(p => p.DistinctCount(RecordingHandler<GroupA>.Name) >= Count, $"{Count} distinct events are delivered");
        // Sorted comparison: FluentAssertions' unordered equivalency is quadratic on 1,000 items.
        Probe.For(RecordingHandler<GroupA>.Name).Select(d => d.Event.Id).Distinct().Order(StringComparer.Ordinal)
            .Should().Equal(events.Select(e => e.Id).Order(StringComparer.Ordinal));
    }
}
