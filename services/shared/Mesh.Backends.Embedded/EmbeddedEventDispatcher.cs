using System.Diagnostics;
using System.Threading.Channels;
using Mesh.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Backends.Embedded;

/// <summary>
/// Delivers outbox events to every consumer group declared by a registered <see cref="Subscription"/>.
/// Each (topic, group) is a lane with a durable cursor and a table of unsettled deliveries: an event
/// is claimed (recorded as unsettled and the cursor moved past it) before its handler runs and
/// settled after it returns or is dead-lettered, so whatever was running when the process stopped
/// is delivered again after a restart.
/// </summary>
internal sealed class EmbeddedEventDispatcher(
    SqliteDatabase database,
    IEnumerable<Subscription> subscriptions,
    IServiceScopeFactory scopeFactory,
    TopicSignals signals,
    IOptions<EmbeddedOptions> options,
    TimeProvider timeProvider,
    ILogger<EmbeddedEventDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);
    private readonly SqliteDatabase database = database;
    private readonly IServiceScopeFactory scopeFactory = scopeFactory;
    private readonly TopicSignals signals = signals;
    private readonly IOptions<EmbeddedOptions> options = options;
    private readonly TimeProvider timeProvider = timeProvider;
    private readonly ILogger logger = logger;
    private List<Subscription> declared = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        declared = [.. subscriptions];
        var duplicate = declared.GroupBy(s => (s.Topic, s.ConsumerGroup)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException(
                $"Consumer group '{duplicate.Key.ConsumerGroup}' subscribes to '{duplicate.Key.Topic}' more than once; a group has one handler per topic.");
        }

        var invalid = declared.FirstOrDefault(s => !typeof(IEventHandler).IsAssignableFrom(s.HandlerType) || s.MaxAttempts < 1);
        if (invalid is not null)
        {
            throw new InvalidOperationException(
                $"Subscription {invalid.Topic}/{invalid.ConsumerGroup} needs a handler implementing {nameof(IEventHandler)} and MaxAttempts >= 1.");
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lanes = declared.Select(s => RunLaneAsync(s, stoppingToken)).ToList();
        lanes.Add(PruneAsync(stoppingToken));
        await Task.WhenAll(lanes).ConfigureAwait(false);
    }

    private long Now => timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task RunLaneAsync(Subscription subscription, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await new Lane(this, subscription).RunAsync(stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A lane that failed (e.g. disk full) restarts from its durable state instead of stopping delivery for good.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.LaneFailed(logger, subscription.Topic, subscription.ConsumerGroup, exception);
            }

            try
            {
                await Task.Delay(RestartDelay, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PruneAsync(CancellationToken stoppingToken)
    {
        const int PageSize = 1000;
        var retention = (long)options.Value.OutboxRetention.TotalMilliseconds;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var total = 0;
                int deleted;
                do
                {
                    deleted = await database.WriteAsync(context => Outbox.Prune(context, context.NowUnixMilliseconds - retention, PageSize), 0, stoppingToken)
                        .ConfigureAwait(false);
                    total += deleted;
                }
                while (deleted == PageSize);

                if (total > 0)
                {
                    Log.Pruned(logger, total);
                }

                await Task.Delay(PruneInterval, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private static TimeSpan Backoff(Subscription subscription, int attempt)
    {
        var ticks = subscription.InitialBackoff.Ticks * Math.Pow(2, attempt - 1);
        return TimeSpan.FromTicks((long)Math.Min(ticks, subscription.MaxBackoff.Ticks));
    }

    private readonly record struct Pending(long Seq, int Attempts);

    /// <summary>The outcome of one delivery; <paramref name="RetryAt"/> null means settled (or left for after a restart).</summary>
    private readonly record struct Settled(long Seq, int Attempts, long? RetryAt);

    /// <summary>One (topic, consumer group). Its state is touched only by its own loop; handlers report back through a channel.</summary>
    private sealed class Lane(EmbeddedEventDispatcher owner, Subscription subscription)
    {
        private readonly string topic = subscription.Topic;
        private readonly string group = subscription.ConsumerGroup;
        private readonly int maxConcurrent = owner.options.Value.MaxConcurrentDeliveries;
        private readonly int maxPending = owner.options.Value.MaxPendingDeliveries;
        private readonly PriorityQueue<Pending, long> waiting = new();
        private readonly Dictionary<long, Task> running = [];
        private readonly Channel<Settled> settled = Channel.CreateUnbounded<Settled>(new UnboundedChannelOptions { SingleReader = true });
        private readonly KeyValuePair<string, object?>[] tags =
        [
            new("messaging.destination.name", subscription.Topic),
            new("messaging.consumer.group.name", subscription.ConsumerGroup),
        ];

        private SqliteDatabase Database => owner.database;

        public async Task RunAsync(CancellationToken stoppingToken)
        {
            using var laneCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var signal = owner.signals.For(topic);
            long cursor;
            using (var connection = Database.OpenRead())
            {
                cursor = Outbox.ReadCursor(connection, group, topic);
                foreach (var (seq, attempts, dueAt) in Outbox.ReadPending(connection, group, topic))
                {
                    waiting.Enqueue(new Pending(seq, attempts), dueAt);
                }
            }

            Log.LaneStarted(owner.logger, topic, group, cursor, waiting.Count);
            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    // Taken before looking for work, so a publish committed meanwhile still wakes us.
                    var wake = signal.WaitAsync();
                    var progressed = DrainSettled();
                    var now = owner.Now;
                    while (running.Count < maxConcurrent && waiting.TryPeek(out var pending, out var due) && due <= now)
                    {
                        waiting.Dequeue();
                        StoredEvent? stored;
                        using (var connection = Database.OpenRead())
                        {
                            stored = Outbox.ReadOne(connection, pending.Seq);
                        }

                        if (stored is null)
                        {
                            await Database.WriteAsync(c => Outbox.Settle(c, group, topic, pending.Seq), 0, CancellationToken.None).ConfigureAwait(false);
                            continue;
                        }

                        Start(stored, pending.Attempts, laneCancellation.Token);
                        progressed = true;
                    }

                    var room = Math.Min(maxConcurrent - running.Count, maxPending - running.Count - waiting.Count);
                    if (room > 0)
                    {
                        List<StoredEvent> fresh;
                        using (var connection = Database.OpenRead())
                        {
                            fresh = Outbox.ReadAfter(connection, topic, cursor, room);
                        }

                        if (fresh.Count > 0)
                        {
                            await Database.WriteAsync(c => Outbox.Claim(c, group, topic, fresh), 64 * fresh.Count, CancellationToken.None).ConfigureAwait(false);
                            cursor = fresh[^1].Seq;
                            foreach (var stored in fresh)
                            {
                                Start(stored, 0, laneCancellation.Token);
                            }

                            progressed = true;
                        }
                    }

                    if (!progressed)
                    {
                        await IdleAsync(wake, stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                // Handlers still running are told to stop; their deliveries stay unsettled in the file.
                await laneCancellation.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(running.Values).ConfigureAwait(false);
            }
        }

        private bool DrainSettled()
        {
            var any = false;
            while (settled.Reader.TryRead(out var outcome))
            {
                any = true;
                running.Remove(outcome.Seq);
                if (outcome.RetryAt is { } retryAt)
                {
                    waiting.Enqueue(new Pending(outcome.Seq, outcome.Attempts), retryAt);
                }
            }

            return any;
        }

        private async Task IdleAsync(Task wake, CancellationToken stoppingToken)
        {
            var delay = owner.options.Value.PollInterval;
            if (waiting.TryPeek(out _, out var due))
            {
                var untilDue = TimeSpan.FromMilliseconds(Math.Max(0, due - owner.Now));
                if (untilDue < delay)
                {
                    delay = untilDue;
                }
            }

            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            using var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = Task.Delay(delay, owner.timeProvider, idle.Token);
            var settlement = settled.Reader.WaitToReadAsync(idle.Token).AsTask();
            await Task.WhenAny(wake, timer, settlement).ConfigureAwait(false);
            await idle.CancelAsync().ConfigureAwait(false);
        }

        private void Start(StoredEvent stored, int attempts, CancellationToken cancellationToken) =>
            running[stored.Seq] = Task.Run(() => DeliverAsync(stored, attempts, cancellationToken), CancellationToken.None);

        private async Task DeliverAsync(StoredEvent stored, int attempts, CancellationToken cancellationToken)
        {
            var cloudEvent = stored.Event;
            EmbeddedTelemetry.OutboxLag.Record(Math.Max(0, owner.Now - stored.PublishedAt) / 1000.0, tags);
            Exception? failure = null;
            ActivityContext.TryParse(cloudEvent.TraceParent, cloudEvent.TraceState, out var parent);
            using (var activity = EmbeddedTelemetry.ActivitySource.StartActivity($"{topic} process", ActivityKind.Consumer, parent))
            {
                activity?.SetTag("messaging.system", "mesh.embedded");
                activity?.SetTag("messaging.destination.name", topic);
                activity?.SetTag("messaging.consumer.group.name", group);
                activity?.SetTag("messaging.message.id", cloudEvent.Id);
                activity?.SetTag("messaging.delivery.attempt", attempts + 1);
                try
                {
                    var scope = owner.scopeFactory.CreateAsyncScope();
                    await using (scope.ConfigureAwait(false))
                    {
                        var handler = (IEventHandler)scope.ServiceProvider.GetRequiredService(subscription.HandlerType);
                        await handler.HandleAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                    // Stopping: not the handler's fault, so no attempt is counted; it is delivered again after restart.
                    settled.Writer.TryWrite(new Settled(stored.Seq, attempts, RetryAt: null));
                    return;
                }
#pragma warning disable CA1031 // A handler failure is what retries and dead-lettering are for.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    failure = exception;
                    activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
                }
            }

            var attempt = attempts + 1;
            settled.Writer.TryWrite(await RecordOutcomeAsync(stored, attempt, failure).ConfigureAwait(false));
        }

        private async Task<Settled> RecordOutcomeAsync(StoredEvent stored, int attempt, Exception? failure)
        {
            var cloudEvent = stored.Event;
            var handlerName = subscription.HandlerType.Name;
            try
            {
                if (failure is null)
                {
                    await Database.WriteAsync(c => Outbox.Settle(c, group, topic, stored.Seq), 64, CancellationToken.None).ConfigureAwait(false);
                    EmbeddedTelemetry.Deliveries.Add(1, [.. tags, new("outcome", "ok")]);
                    return new Settled(stored.Seq, attempt, RetryAt: null);
                }

                EmbeddedTelemetry.Deliveries.Add(1, [.. tags, new("outcome", "error")]);
                if (attempt >= subscription.MaxAttempts)
                {
                    var deadLetterTopic = subscription.DeadLetterTopic;
                    var deadLetter = cloudEvent with { Topic = deadLetterTopic };
                    await Database.WriteAsync(
                        c =>
                        {
                            Outbox.Insert(c, deadLetter, deadLetterTopic);
                            return Outbox.Settle(c, group, topic, stored.Seq);
                        },
                        Outbox.EstimateBytes(deadLetter),
                        CancellationToken.None).ConfigureAwait(false);
                    owner.signals.Notify(deadLetterTopic);
                    EmbeddedTelemetry.DeadLetters.Add(1, tags);
                    Log.DeadLettered(owner.logger, handlerName, cloudEvent.Id, topic, group, attempt, deadLetterTopic, failure);
                    return new Settled(stored.Seq, attempt, RetryAt: null);
                }

                var delay = Backoff(subscription, attempt);
                var dueAt = owner.Now + (long)delay.TotalMilliseconds;
                await Database.WriteAsync(c => Outbox.ScheduleRetry(c, group, topic, stored.Seq, attempt, dueAt), 64, CancellationToken.None)
                    .ConfigureAwait(false);
                Log.HandlerFailed(owner.logger, handlerName, cloudEvent.Id, topic, group, attempt, subscription.MaxAttempts, delay, failure);
                return new Settled(stored.Seq, attempt, dueAt);
            }
            catch (ObjectDisposedException)
            {
                // The file closed under us (shutdown): the delivery is still unsettled there and comes back after restart.
                return new Settled(stored.Seq, attempt - 1, RetryAt: null);
            }
#pragma warning disable CA1031 // Recording failed (e.g. disk full): keep the event pending in memory and try again later.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.LaneFailed(owner.logger, topic, group, exception);
                return new Settled(stored.Seq, attempt - 1, owner.Now + (long)RestartDelay.TotalMilliseconds);
            }
        }
    }
}
