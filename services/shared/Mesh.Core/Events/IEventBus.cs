namespace Mesh.Events;

/// <summary>
/// A CloudEvents 1.0 event as Mesh publishes it. <see cref="Data"/> is normally a serialized
/// protobuf message (<see cref="DataContentType"/> "application/protobuf"). W3C trace context
/// travels in <see cref="TraceParent"/>/<see cref="TraceState"/> (the CloudEvents distributed
/// tracing extension), so one document keeps one trace across pub/sub hops.
/// </summary>
/// <param name="Id">Unique event id; consumers use it to discard redeliveries.</param>
/// <param name="Source">URI-reference of the producer, e.g. "/mesh/routing".</param>
/// <param name="Type">Event type, e.g. "mesh.document.accepted".</param>
/// <param name="Topic">The topic it is published on.</param>
/// <param name="Data">Payload bytes.</param>
public sealed record CloudEvent(string Id, string Source, string Type, string Topic, ReadOnlyMemory<byte> Data)
{
    /// <summary>Media type of <see cref="Data"/>.</summary>
    public string DataContentType { get; init; } = "application/protobuf";

    /// <summary>When the event happened.</summary>
    public DateTimeOffset Time { get; init; } = DateTimeOffset.UnixEpoch;

    /// <summary>What the event is about (e.g. a document id).</summary>
    public string? Subject { get; init; }

    /// <summary>W3C traceparent of the publishing span.</summary>
    public string? TraceParent { get; init; }

    /// <summary>W3C tracestate of the publishing span.</summary>
    public string? TraceState { get; init; }
}

/// <summary>
/// At-least-once publish/subscribe. A publish that returned has been made durable by the backend;
/// every subscriber (consumer group) receives every event at least once, possibly more than once
/// and possibly out of order across partitions, so handlers must be idempotent.
/// </summary>
public interface IEventBus
{
    /// <summary>Publishes one event durably.</summary>
    ValueTask PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes several events (any topics) durably; returns once all are. Backends that can make them
    /// durable in one write do (the embedded outbox: one group-committed transaction); the others publish
    /// them concurrently. If it throws, any subset may have been published.
    /// </summary>
    async ValueTask PublishAllAsync(IReadOnlyList<CloudEvent> cloudEvents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cloudEvents);
        var publishes = new Task[cloudEvents.Count];
        for (var i = 0; i < cloudEvents.Count; i++)
        {
            publishes[i] = PublishAsync(cloudEvents[i], cancellationToken).AsTask();
        }

        await Task.WhenAll(publishes).ConfigureAwait(false);
    }
}

/// <summary>Handles the events of one subscription. Must be idempotent (see <see cref="CloudEvent.Id"/>).</summary>
public interface IEventHandler
{
    /// <summary>
    /// Handles one delivery. Returning acknowledges it; throwing makes the bus retry with backoff
    /// until <see cref="Subscription.MaxAttempts"/>, then move the event to the dead-letter topic.
    /// </summary>
    Task HandleAsync(CloudEvent cloudEvent, CancellationToken cancellationToken);
}

/// <summary>
/// A declared subscription: events of <paramref name="Topic"/> delivered to one member of the consumer
/// group <paramref name="ConsumerGroup"/>, handled by <paramref name="HandlerType"/> (resolved from DI in a scope).
/// </summary>
/// <param name="Topic">Topic name.</param>
/// <param name="ConsumerGroup">Consumer group (every group gets every event once).</param>
/// <param name="HandlerType">A type implementing <see cref="IEventHandler"/>.</param>
public sealed record Subscription(string Topic, string ConsumerGroup, Type HandlerType)
{
    /// <summary>Deliveries before the event goes to the dead-letter topic.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>First retry delay; doubles on every retry up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound on the retry delay.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where events that exhausted their attempts go.</summary>
    public string DeadLetterTopic => Topic + ".deadletter";
}
