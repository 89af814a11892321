using System.Diagnostics;
using Dapr.Client;
using Mesh.Events;

namespace Mesh.Backends.Dapr;

/// <summary>
/// <see cref="IEventBus"/> through Dapr pub/sub. Mesh hands Dapr a complete CloudEvent
/// (<c>application/cloudevents+json</c>), which Dapr publishes as-is instead of wrapping it in its own
/// envelope: the id, source, type, subject, time and W3C trace context the publisher chose reach subscribers.
/// </summary>
public sealed class DaprEventBus(DaprClient client, DaprOptions options) : IEventBus
{
    /// <inheritdoc />
    public async ValueTask PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        ArgumentException.ThrowIfNullOrEmpty(cloudEvent.Topic);
        using var activity = DaprTelemetry.ActivitySource.StartActivity($"{cloudEvent.Topic} publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "dapr");
        activity?.SetTag("messaging.destination.name", cloudEvent.Topic);
        activity?.SetTag("messaging.message.id", cloudEvent.Id);
        await client.PublishByteEventAsync(options.PubSubName, cloudEvent.Topic, CloudEventJson.Encode(cloudEvent), CloudEventJson.MediaType, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }
}
