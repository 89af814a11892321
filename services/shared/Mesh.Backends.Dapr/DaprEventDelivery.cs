using System.Collections.Concurrent;
using System.Diagnostics;
using Mesh.Events;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Backends.Dapr;

/// <summary>
/// Turns a delivery Dapr posts to a subscription endpoint into handler calls and the answer Dapr expects:
/// <c>SUCCESS</c> (done), <c>RETRY</c> (redeliver per the sidecar's resiliency policy) or <c>DROP</c> (never
/// deliverable). Dapr allows one subscription per topic and app, so every <see cref="Subscription"/> of the
/// topic in this app is served by the one endpoint; a group that already handled the event is not called
/// again on a redelivery. <see cref="Subscription.MaxAttempts"/> is enforced here, not left to the sidecar's
/// policy: after the last failed attempt the event is published to the dead-letter topic and acknowledged.
/// </summary>
public sealed class DaprEventDelivery(
    IEnumerable<Subscription> subscriptions,
    IEventBus bus,
    IServiceScopeFactory scopes,
    IHostApplicationLifetime lifetime,
    ILogger<DaprEventDelivery> logger)
{
    /// <summary>Dapr's status field values.</summary>
    public const string Success = "SUCCESS", Retry = "RETRY", Drop = "DROP";

    private readonly ConcurrentDictionary<string, PendingEvent> pending = new(StringComparer.Ordinal);

    /// <summary>The subscriptions of this app, by topic.</summary>
    public IReadOnlyDictionary<string, Subscription[]> Topics { get; } =
        subscriptions.GroupBy(s => s.Topic, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

    /// <summary>Handles one delivery of <paramref name="topic"/> and writes Dapr's answer.</summary>
    public async Task DeliverAsync(string topic, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Shutting down: take nothing new; the sidecar redelivers to the next instance.
            await context.Response.WriteAsJsonAsync(new DaprStatus(Retry), CancellationToken.None).ConfigureAwait(false);
            return;
        }

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var status = await DeliverAsync(topic, await ReadBodyAsync(context.Request, stopping.Token).ConfigureAwait(false), stopping.Token).ConfigureAwait(false);
        await context.Response.WriteAsJsonAsync(new DaprStatus(status), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Handles one structured CloudEvent body and returns Dapr's status.</summary>
    public async Task<string> DeliverAsync(string topic, byte[] body, CancellationToken cancellationToken)
    {
        CloudEvent cloudEvent;
        try
        {
            cloudEvent = CloudEventJson.Decode(body, topic);
        }
        catch (FormatException exception)
        {
            // Redelivering a body that cannot be read never helps; Dapr sends dropped messages to the dead-letter topic where one is set.
            Log.Malformed(logger, topic, exception.Message);
            return Drop;
        }

        if (!Topics.TryGetValue(topic, out var topicSubscriptions))
        {
            return Drop;
        }

        var state = pending.GetOrAdd(cloudEvent.Id, _ => new PendingEvent());
        var retry = false;
        foreach (var subscription in topicSubscriptions)
        {
            if (state.Done.ContainsKey(subscription.ConsumerGroup))
            {
                continue;
            }

            try
            {
                await HandleAsync(subscription, cloudEvent, cancellationToken).ConfigureAwait(false);
                state.Done[subscription.ConsumerGroup] = true;
                DaprTelemetry.Deliveries.Add(1, Tags(subscription, "success"));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The app is stopping: not the handler's fault, so not an attempt; Dapr delivers it again.
                return Retry;
            }
            catch (Exception exception)
            {
                DaprTelemetry.Deliveries.Add(1, Tags(subscription, "failure"));
                var attempt = state.Attempts.AddOrUpdate(subscription.ConsumerGroup, 1, static (_, n) => n + 1);
                if (attempt < subscription.MaxAttempts)
                {
                    Log.HandlerFailed(logger, subscription.HandlerType.Name, cloudEvent.Id, topic, subscription.ConsumerGroup, attempt, subscription.MaxAttempts, exception);
                    retry = true;
                    continue;
                }

                await bus.PublishAsync(cloudEvent with { Topic = subscription.DeadLetterTopic }, cancellationToken).ConfigureAwait(false);
                state.Done[subscription.ConsumerGroup] = true;
                DaprTelemetry.DeadLetters.Add(1, Tags(subscription, "deadletter"));
                Log.DeadLettered(logger, cloudEvent.Id, topic, subscription.ConsumerGroup, attempt, subscription.DeadLetterTopic, exception);
            }
        }

        if (retry)
        {
            return Retry;
        }

        pending.TryRemove(cloudEvent.Id, out _);
        return Success;
    }

    private async Task HandleAsync(Subscription subscription, CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        ActivityContext.TryParse(cloudEvent.TraceParent, cloudEvent.TraceState, out var parent);
        using var activity = DaprTelemetry.ActivitySource.StartActivity($"{subscription.Topic} process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "dapr");
        activity?.SetTag("messaging.destination.name", subscription.Topic);
        activity?.SetTag("messaging.consumer.group.name", subscription.ConsumerGroup);
        activity?.SetTag("messaging.message.id", cloudEvent.Id);
        await using var scope = scopes.CreateAsyncScope();
        var handler = (IEventHandler)scope.ServiceProvider.GetRequiredService(subscription.HandlerType);
        await handler.HandleAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static KeyValuePair<string, object?>[] Tags(Subscription subscription, string outcome) =>
        [new("topic", subscription.Topic), new("group", subscription.ConsumerGroup), new("outcome", outcome)];

    // Attempts are counted in memory: a restart of the app starts the count again (more deliveries, never fewer).
    private sealed class PendingEvent
    {
        public ConcurrentDictionary<string, int> Attempts { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, bool> Done { get; } = new(StringComparer.Ordinal);
    }

    private sealed record DaprStatus(string Status);
}
