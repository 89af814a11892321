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
        ArgumentNullException.ThrowIfNull(cloudEvent);
        ArgumentException.ThrowIfNullOrEmpty(cloudEvent.Id, nameof(cloudEvent));
        ArgumentException.ThrowIfNullOrEmpty(cloudEvent.Topic, nameof(cloudEvent));
        using var activity = EmbeddedTelemetry.ActivitySource.StartActivity($"{cloudEvent.Topic} publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "mesh.embedded");
        activity?.SetTag("messaging.destination.name", cloudEvent.Topic);
        activity?.SetTag("messaging.message.id", cloudEvent.Id);

        await database.WriteAsync(context => Outbox.Insert(context, cloudEvent, cloudEvent.Topic), Outbox.EstimateBytes(cloudEvent), cancellationToken)
            .ConfigureAwait(false);
        signals.Notify(cloudEvent.Topic);
    }
}
