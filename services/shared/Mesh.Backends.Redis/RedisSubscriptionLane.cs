using System.Collections.Concurrent;
using System.Diagnostics;
using Mesh.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Mesh.Backends.Redis;

/// <summary>
/// Delivers one topic to one consumer group: XREADGROUP for new entries (woken by a pub/sub notification,
/// with a slow poll as a safety net), this consumer's own pending entries first after a restart, XAUTOCLAIM
/// for entries a silent consumer left pending longer than the visibility timeout, XACK on success, retries
/// with exponential backoff counted in a hash (so the count survives restarts), and a move to
/// <c>&lt;topic&gt;.deadletter</c> after <see cref="Subscription.MaxAttempts"/>.
/// </summary>
internal sealed class RedisSubscriptionLane(
    RedisConnection connection,
    RedisOptions options,
    Subscription subscription,
    IServiceScopeFactory scopes,
    TimeProvider timeProvider,
    ILogger logger)
{
    private const string AckScript = """
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('HDEL', KEYS[2], ARGV[2])
        """;

    // Copy to the dead-letter stream and settle the original in one step, so an event is never in both or neither.
    private const string DeadLetterScript = """
        redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('HDEL', KEYS[2], ARGV[2])
        """;

    private readonly RedisKey stream = connection.Keys.Stream(subscription.Topic);
    private readonly RedisKey attempts = connection.Keys.Attempts(subscription.Topic, subscription.ConsumerGroup);
    private readonly ConcurrentDictionary<string, Task> inFlight = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim slots = new(options.MaxConcurrentDeliveries, options.MaxConcurrentDeliveries);
    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var multiplexer = await connection.GetAsync(cancellationToken).ConfigureAwait(false);
        var database = multiplexer.GetDatabase();
        await EnsureGroupAsync(database).ConfigureAwait(false);
        var channel = connection.Keys.Notify(subscription.Topic);
        var subscriber = multiplexer.GetSubscriber();
        await subscriber.SubscribeAsync(channel, (_, _) => Wake()).ConfigureAwait(false);
        Log.LaneStarted(logger, subscription.Topic, subscription.ConsumerGroup, options.ConsumerName);
        try
        {
            // Entries this consumer had read but not settled before it stopped: take them back at once.
            RedisValue position = "0";
            while (await ReadAsync(database, position, cancellationToken).ConfigureAwait(false) is { } last)
            {
                position = last;
            }

            var nextReclaim = timeProvider.GetUtcNow();
            while (!cancellationToken.IsCancellationRequested)
            {
                var waiting = Volatile.Read(ref wake).Task;
                if (timeProvider.GetUtcNow() >= nextReclaim)
                {
                    await ReclaimAsync(database, cancellationToken).ConfigureAwait(false);
                    nextReclaim = timeProvider.GetUtcNow() + options.ReclaimInterval;
                }

                if (await ReadAsync(database, StreamPosition.NewMessages, cancellationToken).ConfigureAwait(false) is not null)
                {
                    continue;
                }

                var untilReclaim = nextReclaim - timeProvider.GetUtcNow();
                var wait = untilReclaim < options.PollInterval ? untilReclaim : options.PollInterval;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await Task.WhenAny(waiting, Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, timeProvider, timeout.Token)).ConfigureAwait(false);
                await timeout.CancelAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel).ConfigureAwait(false);
            await Task.WhenAll(inFlight.Values).ConfigureAwait(false);
        }
    }

    private void Wake() => Interlocked.Exchange(ref wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task EnsureGroupAsync(IDatabase database)
    {
        try
        {
            // From the start of the stream: events published before the group existed are delivered too.
            await database.StreamCreateConsumerGroupAsync(stream, subscription.ConsumerGroup, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (exception.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>Starts the entries read after <paramref name="position"/>; returns the last id read, null when there was none.</summary>
    private async Task<RedisValue?> ReadAsync(IDatabase database, RedisValue position, CancellationToken cancellationToken)
    {
        var entries = await database.StreamReadGroupAsync(stream, subscription.ConsumerGroup, options.ConsumerName, position, options.ReadBatchSize)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
        {
            await StartAsync(database, entry, cancellationToken).ConfigureAwait(false);
        }

        return entries.Length == 0 ? (RedisValue?)null : entries[^1].Id;
    }

    private async Task ReclaimAsync(IDatabase database, CancellationToken cancellationToken)
    {
        // Refresh what this consumer is still working on (or waiting to retry) so that others do not steal it.
        var mine = inFlight.Keys.Select(id => (RedisValue)id).ToArray();
        if (mine.Length > 0)
        {
            await database.StreamClaimIdsOnlyAsync(stream, subscription.ConsumerGroup, options.ConsumerName, 0, mine).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var start = (RedisValue)"0-0";
        var reclaimed = 0;
        do
        {
            var result = await database.StreamAutoClaimAsync(
                stream, subscription.ConsumerGroup, options.ConsumerName, (long)options.VisibilityTimeout.TotalMilliseconds, start, options.ReadBatchSize)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var entry in result.ClaimedEntries)
            {
                if (!entry.IsNull && !inFlight.ContainsKey(entry.Id!))
                {
                    reclaimed++;
                    await StartAsync(database, entry, cancellationToken).ConfigureAwait(false);
                }
            }

            start = result.NextStartId;
        }
        while (start != "0-0" && !cancellationToken.IsCancellationRequested);

        if (reclaimed > 0)
        {
            RedisTelemetry.Reclaimed.Add(reclaimed, Tags());
            Log.Reclaimed(logger, reclaimed, subscription.Topic, subscription.ConsumerGroup);
        }
    }

    private async Task StartAsync(IDatabase database, StreamEntry entry, CancellationToken cancellationToken)
    {
        var id = (string)entry.Id!;
        if (inFlight.ContainsKey(id))
        {
            return;
        }

        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var delivery = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        inFlight[id] = delivery.Task;
        _ = Task.Run(async () =>
        {
            try
            {
                await DeliverAsync(database, id, entry.Values, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Redis failed mid-delivery: the entry stays pending and is reclaimed after the visibility timeout.
                Log.LaneFailed(logger, subscription.Topic, subscription.ConsumerGroup, exception);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                inFlight.TryRemove(id, out _);
                slots.Release();
                delivery.TrySetResult();
            }
        }, CancellationToken.None);
    }

    private async Task DeliverAsync(IDatabase database, string id, NameValueEntry[] fields, CancellationToken cancellationToken)
    {
        CloudEvent cloudEvent;
        try
        {
            cloudEvent = StreamCodec.Decode(subscription.Topic, fields);
        }
        catch (FormatException exception)
        {
            // Malformed entries never get better: straight to the dead-letter stream.
            await DeadLetterAsync(database, id, fields, "?", 0, exception).ConfigureAwait(false);
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var attempt = await database.HashIncrementAsync(attempts, id).WaitAsync(cancellationToken).ConfigureAwait(false);
            Exception failure;
            try
            {
                await HandleAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
                await database.ScriptEvaluateAsync(AckScript, [stream, attempts], [subscription.ConsumerGroup, id]).ConfigureAwait(false);
                RedisTelemetry.Deliveries.Add(1, [.. Tags(), new("outcome", "success")]);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                failure = exception;
            }

            RedisTelemetry.Deliveries.Add(1, [.. Tags(), new("outcome", "failure")]);
            if (attempt >= subscription.MaxAttempts)
            {
                await DeadLetterAsync(database, id, fields, cloudEvent.Id, attempt, failure).ConfigureAwait(false);
                return;
            }

            var delay = Backoff(attempt);
            Log.HandlerFailed(logger, subscription.HandlerType.Name, cloudEvent.Id, subscription.Topic, subscription.ConsumerGroup, attempt, subscription.MaxAttempts, delay, failure);
            try
            {
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task HandleAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        ActivityContext.TryParse(cloudEvent.TraceParent, cloudEvent.TraceState, out var parent);
        using var activity = RedisTelemetry.ActivitySource.StartActivity($"{subscription.Topic} process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.destination.name", subscription.Topic);
        activity?.SetTag("messaging.consumer.group.name", subscription.ConsumerGroup);
        activity?.SetTag("messaging.message.id", cloudEvent.Id);
        await using var scope = scopes.CreateAsyncScope();
        var handler = (IEventHandler)scope.ServiceProvider.GetRequiredService(subscription.HandlerType);
        await handler.HandleAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeadLetterAsync(IDatabase database, string id, NameValueEntry[] fields, string eventId, long attempt, Exception failure)
    {
        var args = new List<RedisValue>(3 + (fields.Length * 2) + 6) { subscription.ConsumerGroup, id, options.StreamMaxLength };
        foreach (var field in fields)
        {
            args.Add(field.Name);
            args.Add(field.Value);
        }

        args.AddRange([StreamCodec.DeadLetterGroup, subscription.ConsumerGroup, StreamCodec.DeadLetterReason, failure.GetType().Name + ": " + failure.Message, StreamCodec.DeadLetterOrigin, id]);
        var deadLetterStream = connection.Keys.Stream(subscription.DeadLetterTopic);
        await database.ScriptEvaluateAsync(DeadLetterScript, [stream, attempts, deadLetterStream], [.. args]).ConfigureAwait(false);
        await database.Multiplexer.GetSubscriber().PublishAsync(connection.Keys.Notify(subscription.DeadLetterTopic), 1, CommandFlags.FireAndForget).ConfigureAwait(false);
        RedisTelemetry.DeadLetters.Add(1, Tags());
        Log.DeadLettered(logger, eventId, subscription.Topic, subscription.ConsumerGroup, attempt, subscription.DeadLetterTopic, failure);
    }

    private TimeSpan Backoff(long attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(subscription.InitialBackoff.Ticks * factor, subscription.MaxBackoff.Ticks));
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    private KeyValuePair<string, object?>[] Tags() =>
        [new("topic", subscription.Topic), new("group", subscription.ConsumerGroup)];
}
