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
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PruneOnceAsync(stoppingToken).ConfigureAwait(false);
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

    /// <summary>Deletes settled events older than the retention; returns how many.</summary>
    internal async Task<int> PruneOnceAsync(CancellationToken cancellationToken)
    {
        const int PageSize = 1000;
        var retention = (long)options.Value.OutboxRetention.TotalMilliseconds;
        var total = 0;
        int deleted;
        do
        {
            deleted = await database.WriteAsync(context => Outbox.Prune(context, context.NowUnixMilliseconds - retention, PageSize), 0, cancellationToken)
                .ConfigureAwait(false);
            total += deleted;
        }
        while (deleted == PageSize);

        if (total > 0)
        {
            Log.Pruned(logger, total);
        }

        return total;
    }

    private static TimeSpan Backoff(Subscription subscription, int attempt)
    {
        var ticks = subscription.InitialBackoff.Ticks * Math.Pow(2, attempt - 1);
        return TimeSpan.FromTicks((long)Math.Min(ticks, subscription.MaxBackoff.Ticks));
    }

    /// <summary>A delivery waiting for a handler slot: new, or due for a retry. <paramref name="Stored"/> is null when it must be read back from the outbox.</summary>
    private sealed record Pending(long Seq, int Attempts, StoredEvent? Stored);

    private enum Outcome
    {
        Succeeded,
        Failed,

        // The process is stopping: not the handler's fault, so no attempt is counted and the delivery stays unsettled.
        Abandoned,
    }

    private sealed record Finished(StoredEvent Stored, int Attempt, Outcome Outcome, Exception? Failure);

    /// <summary>
    /// One (topic, consumer group). Its state is touched only by its own loop; handlers report back
    /// through a channel, and their outcomes are written in one group-committed write per loop turn,
    /// so a handler slot is never held while waiting for an fsync.
    /// </summary>
    private sealed class Lane(EmbeddedEventDispatcher owner, Subscription subscription)
    {
        private const int MaxClaim = 256;
        private readonly string topic = subscription.Topic;
        private readonly string group = subscription.ConsumerGroup;
        private readonly int maxConcurrent = owner.options.Value.MaxConcurrentDeliveries;
        private readonly int maxPending = owner.options.Value.MaxPendingDeliveries;
        private readonly PriorityQueue<Pending, (long DueAt, long Seq)> waiting = new();
        private readonly Dictionary<long, Task> running = [];
        private readonly List<Task> flushes = [];
        private readonly Channel<Finished> finished = Channel.CreateUnbounded<Finished>(new UnboundedChannelOptions { SingleReader = true });
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
                cursor = Outbox.ReadCursor(connection.Connection, group, topic);
                foreach (var (seq, attempts, dueAt) in Outbox.ReadPending(connection.Connection, group, topic))
                {
                    waiting.Enqueue(new Pending(seq, attempts, Stored: null), (dueAt, seq));
                }
            }

            Log.LaneStarted(owner.logger, topic, group, cursor, waiting.Count);
            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    // Taken before looking for work, so a publish committed meanwhile still wakes us.
                    var wake = signal.WaitAsync();
                    var progressed = SettleFinished();
                    var now = owner.Now;
                    while (running.Count < maxConcurrent && waiting.TryPeek(out var pending, out var due) && due.DueAt <= now)
                    {
                        waiting.Dequeue();
                        var stored = pending.Stored;
                        if (stored is null)
                        {
                            using var connection = Database.OpenRead();
                            stored = Outbox.ReadOne(connection.Connection, pending.Seq);
                        }

                        if (stored is null)
                        {
                            // Pruned while unsettled cannot happen through this dispatcher; settle the orphan row.
                            flushes.Add(FlushAsync([pending.Seq], [], []));
                            continue;
                        }

                        Start(stored, pending.Attempts, laneCancellation.Token);
                        progressed = true;
                    }

                    var room = Math.Min(MaxClaim, maxPending - running.Count - waiting.Count);
                    if (running.Count < maxConcurrent && room > 0)
                    {
                        List<StoredEvent> fresh;
                        using (var connection = Database.OpenRead())
                        {
                            fresh = Outbox.ReadAfter(connection.Connection, topic, cursor, room);
                        }

                        if (fresh.Count > 0)
                        {
                            // Durable before any handler runs: after a crash these are redelivered from the delivery table.
                            await Database.WriteAsync(c => Outbox.Claim(c, group, topic, fresh), 64 * fresh.Count, CancellationToken.None).ConfigureAwait(false);
                            cursor = fresh[^1].Seq;
                            foreach (var stored in fresh)
                            {
                                waiting.Enqueue(new Pending(stored.Seq, 0, stored), (now, stored.Seq));
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
                // Handlers still running are told to stop; whatever they did not finish stays unsettled in the file.
                await laneCancellation.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(running.Values).ConfigureAwait(false);
                SettleFinished();
                await Task.WhenAll(flushes).ConfigureAwait(false);
            }
        }

        private bool SettleFinished()
        {
            List<long>? settled = null;
            List<(long Seq, int Attempt, long DueAt)>? retries = null;
            List<StoredEvent>? deadLetters = null;
            var any = false;
            while (finished.Reader.TryRead(out var done))
            {
                any = true;
                running.Remove(done.Stored.Seq);
                var handlerName = subscription.HandlerType.Name;
                var cloudEvent = done.Stored.Event;
                switch (done.Outcome)
                {
                    case Outcome.Succeeded:
                        (settled ??= []).Add(done.Stored.Seq);
                        EmbeddedTelemetry.Deliveries.Add(1, [.. tags, new("outcome", "ok")]);
                        break;
                    case Outcome.Failed when done.Attempt >= subscription.MaxAttempts:
                        (deadLetters ??= []).Add(done.Stored);
                        EmbeddedTelemetry.Deliveries.Add(1, [.. tags, new("outcome", "error")]);
                        Log.DeadLettered(owner.logger, handlerName, cloudEvent.Id, topic, group, done.Attempt, subscription.DeadLetterTopic, done.Failure!);
                        break;
                    case Outcome.Failed:
                        var delay = Backoff(subscription, done.Attempt);
                        var dueAt = owner.Now + (long)delay.TotalMilliseconds;
                        (retries ??= []).Add((done.Stored.Seq, done.Attempt, dueAt));
                        waiting.Enqueue(new Pending(done.Stored.Seq, done.Attempt, done.Stored), (dueAt, done.Stored.Seq));
                        EmbeddedTelemetry.Deliveries.Add(1, [.. tags, new("outcome", "error")]);
                        Log.HandlerFailed(owner.logger, handlerName, cloudEvent.Id, topic, group, done.Attempt, subscription.MaxAttempts, delay, done.Failure!);
                        break;
                }
            }

            if (settled is not null || retries is not null || deadLetters is not null)
            {
                flushes.RemoveAll(static t => t.IsCompleted);
                flushes.Add(FlushAsync(settled ?? [], retries ?? [], deadLetters ?? []));
            }

            return any;
        }

        /// <summary>
        /// Records outcomes without holding up the lane. The writer is FIFO, so this always lands after
        /// the claim of the same events. If it fails the deliveries stay unsettled in the file and are
        /// delivered again after a restart: at least once, never lost.
        /// </summary>
        private async Task FlushAsync(List<long> settled, List<(long Seq, int Attempt, long DueAt)> retries, List<StoredEvent> deadLetters)
        {
            var deadLetterTopic = subscription.DeadLetterTopic;
            try
            {
                await Database.WriteAsync(
                    c =>
                    {
                        foreach (var seq in settled)
                        {
                            Outbox.Settle(c, group, topic, seq);
                        }

                        foreach (var (seq, attempt, dueAt) in retries)
                        {
                            Outbox.ScheduleRetry(c, group, topic, seq, attempt, dueAt);
                        }

                        foreach (var stored in deadLetters)
                        {
                            Outbox.Insert(c, stored.Event with { Topic = deadLetterTopic }, deadLetterTopic);
                            Outbox.Settle(c, group, topic, stored.Seq);
                        }

                        return true;
                    },
                    64 * (settled.Count + retries.Count) + deadLetters.Sum(d => Outbox.EstimateBytes(d.Event)),
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
#pragma warning disable CA1031 // See the summary: the outcome is retried by redelivery after restart.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.LaneFailed(owner.logger, topic, group, exception);
                return;
            }

            if (deadLetters.Count > 0)
            {
                owner.signals.Notify(deadLetterTopic);
                EmbeddedTelemetry.DeadLetters.Add(deadLetters.Count, tags);
            }
        }

        private async Task IdleAsync(Task wake, CancellationToken stoppingToken)
        {
            var delay = owner.options.Value.PollInterval;
            if (waiting.TryPeek(out _, out var due))
            {
                var untilDue = TimeSpan.FromMilliseconds(Math.Max(0, due.DueAt - owner.Now));
                if (untilDue < delay)
                {
                    delay = untilDue;
                }
            }

            if (delay <= TimeSpan.Zero && running.Count < maxConcurrent)
            {
                return;
            }

            using var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = delay > TimeSpan.Zero ? Task.Delay(delay, owner.timeProvider, idle.Token) : Task.Delay(Timeout.InfiniteTimeSpan, owner.timeProvider, idle.Token);
            var settlement = finished.Reader.WaitToReadAsync(idle.Token).AsTask();
            await Task.WhenAny(wake, timer, settlement).ConfigureAwait(false);
            await idle.CancelAsync().ConfigureAwait(false);
        }

        private void Start(StoredEvent stored, int attempts, CancellationToken cancellationToken) =>
            running[stored.Seq] = Task.Run(() => DeliverAsync(stored, attempts, cancellationToken), CancellationToken.None);

        private async Task DeliverAsync(StoredEvent stored, int attempts, CancellationToken cancellationToken)
        {
            var cloudEvent = stored.Event;
            EmbeddedTelemetry.OutboxLag.Record(Math.Max(0, owner.Now - stored.PublishedAt) / 1000.0, tags);
            ActivityContext.TryParse(cloudEvent.TraceParent, cloudEvent.TraceState, out var parent);
            using var activity = EmbeddedTelemetry.ActivitySource.StartActivity($"{topic} process", ActivityKind.Consumer, parent);
            activity?.SetTag("messaging.system", "mesh.embedded");
            activity?.SetTag("messaging.destination.name", topic);
            activity?.SetTag("messaging.consumer.group.name", group);
            activity?.SetTag("messaging.message.id", cloudEvent.Id);
            activity?.SetTag("messaging.delivery.attempt", attempts + 1);
            Finished outcome;
            try
            {
                var scope = owner.scopeFactory.CreateAsyncScope();
                await using (scope.ConfigureAwait(false))
                {
                    var handler = (IEventHandler)scope.ServiceProvider.GetRequiredService(subscription.HandlerType);
                    await handler.HandleAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
                }

                outcome = new Finished(stored, attempts + 1, Outcome.Succeeded, null);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                outcome = new Finished(stored, attempts, Outcome.Abandoned, null);
            }
#pragma warning disable CA1031 // A handler failure is what retries and dead-lettering are for.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
                outcome = new Finished(stored, attempts + 1, Outcome.Failed, exception);
            }

            finished.Writer.TryWrite(outcome);
        }
    }
}
