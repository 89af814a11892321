using System.Diagnostics;
using Mesh.Events;
using StackExchange.Redis;

namespace Mesh.Backends.Redis;

/// <summary>
/// <see cref="IEventBus"/> on Redis Streams: one stream per topic, appended with XADD (approximately capped
/// at <see cref="RedisOptions.StreamMaxLength"/>). A publish returns once Redis has the entry; how durable
/// that is depends on the server's AOF/replication settings, which the platform owns.
/// </summary>
public sealed class RedisEventBus(RedisConnection connection, RedisOptions options) : IEventBus
{
    /// <inheritdoc />
    public async ValueTask PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        ArgumentException.ThrowIfNullOrEmpty(cloudEvent.Topic);
        using var activity = RedisTelemetry.ActivitySource.StartActivity($"{cloudEvent.Topic} publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.destination.name", cloudEvent.Topic);
        activity?.SetTag("messaging.message.id", cloudEvent.Id);
        var multiplexer = await connection.GetAsync(cancellationToken).ConfigureAwait(false);
        await multiplexer.GetDatabase()
            .StreamAddAsync(connection.Keys.Stream(cloudEvent.Topic), StreamCodec.Encode(cloudEvent), maxLength: options.StreamMaxLength, useApproximateMaxLength: true)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        // Only a wake-up call: a lost notification costs at most one poll interval.
        await multiplexer.GetSubscriber().PublishAsync(connection.Keys.Notify(cloudEvent.Topic), 1, CommandFlags.FireAndForget).ConfigureAwait(false);
    }
}
