using System.Diagnostics;
using Mesh.Events;

namespace Mesh.Backends.Embedded;

/// <summary>
/// <see cref="IEventBus"/> over the durable outbox in the embedded SQLite file: a publish is a row
/// committed through the same group commit as state writes; the in-process dispatcher delivers it.
/// </summary>
public sealed class EmbeddedEventBus : IEventBus
{
    private readonly SqliteDatabase database;
    private readonly TopicSignals signals;

    internal EmbeddedEventBus(SqliteDatabase database, TopicSignals signals)
    {
        this.database = database;
        this.signals = signals;
    }

    /// <inheritdoc />
    public async ValueTask PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken = default)
    {
        Validate(cloudEvent);
        using var activity = EmbeddedTelemetry.ActivitySource.StartActivity($"{cloudEvent.Topic} publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "mesh.embedded");
        activity?.SetTag("messaging.destination.name", cloudEvent.Topic);
        activity?.SetTag("messaging.message.id", cloudEvent.Id);

        await database.WriteAsync(context => Outbox.Insert(context, cloudEvent, cloudEvent.Topic), Outbox.EstimateBytes(cloudEvent), cancellationToken)
            .ConfigureAwait(false);
        signals.Notify(cloudEvent.Topic);
    }

    /// <inheritdoc />
    /// <remarks>All rows in one write: the events of one send cost one queued write, not one each.</remarks>
    public async ValueTask PublishAllAsync(IReadOnlyList<CloudEvent> cloudEvents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cloudEvents);
        if (cloudEvents.Count == 0)
        {
            return;
        }

        var bytes = 0;
        foreach (var cloudEvent in cloudEvents)
        {
            Validate(cloudEvent);
            bytes += Outbox.EstimateBytes(cloudEvent);
        }

        using var activity = EmbeddedTelemetry.ActivitySource.StartActivity("publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "mesh.embedded");
        activity?.SetTag("messaging.batch.message_count", cloudEvents.Count);
        await database.WriteAsync(
            context =>
            {
                foreach (var cloudEvent in cloudEvents)
                {
                    Outbox.Insert(context, cloudEvent, cloudEvent.Topic);
                }

                return true;
            },
            bytes,
            cancellationToken).ConfigureAwait(false);
        foreach (var topic in cloudEvents.Select(e => e.Topic).Distinct(StringComparer.Ordinal))
        {
            signals.Notify(topic);
        }
    }

    private static void Validate(CloudEvent cloudEvent)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        ArgumentException.ThrowIfNullOrEmpty(cloudEvent.Id, nameof(cloudEvent));
        ArgumentException.ThrowIfNullOrEmpty(cloudEvent.Source, nameof(cloudEvent));
        ArgumentException.ThrowIfNullOrEmpty(cloudEvent.Type, nameof(cloudEvent));
        ArgumentException.ThrowIfNullOrEmpty(cloudEvent.Topic, nameof(cloudEvent));
        ArgumentNullException.ThrowIfNull(cloudEvent.DataContentType, nameof(cloudEvent));
    }
}
