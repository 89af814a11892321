using System.Collections.Concurrent;
using Mesh.Events;

namespace Mesh.Testing.Conformance;

/// <summary>Records every delivery the test handlers see, across backend restarts, and lets tests wait on them.</summary>
public sealed class EventProbe
{
    private readonly ConcurrentQueue<ProbeDelivery> deliveries = new();
    private readonly ConcurrentDictionary<(string Handler, string EventId), int> attempts = new();
    private readonly Lock gate = new();

    /// <summary>Pulsed after every recorded delivery.</summary>
    public ChangeSignal Changed { get; } = new();

    /// <summary>Every delivery so far, in the order handlers were entered.</summary>
    public IReadOnlyCollection<ProbeDelivery> Deliveries => deliveries;

    /// <summary>Records a delivery and returns how many times <paramref name="handler"/> has now seen this event id.</summary>
    public int Record(string handler, CloudEvent cloudEvent)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        int attempt;

        // Counted and listed together: a test that sees the count must also see the delivery in the list.
        lock (gate)
        {
            attempt = attempts.AddOrUpdate((handler, cloudEvent.Id), 1, static (_, n) => n + 1);
            deliveries.Enqueue(new ProbeDelivery(handler, cloudEvent, attempt));
        }

        Changed.Pulse();
        return attempt;
    }

    /// <summary>How many times <paramref name="handler"/> received the event <paramref name="eventId"/>.</summary>
    public int Count(string handler, string eventId) => attempts.TryGetValue((handler, eventId), out var n) ? n : 0;

    /// <summary>Distinct event ids <paramref name="handler"/> received.</summary>
    public int DistinctCount(string handler) => attempts.Keys.Count(k => k.Handler == handler);

    /// <summary>Deliveries to <paramref name="handler"/>.</summary>
    public IReadOnlyList<ProbeDelivery> For(string handler) => [.. deliveries.Where(d => d.Handler == handler)];

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public Task WaitUntilAsync(Func<EventProbe, bool> condition, string description, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(Changed, () => condition(this), description, timeout);
}

/// <summary>One handler invocation.</summary>
/// <param name="Handler">Name of the handler's group marker.</param>
/// <param name="Event">The event as delivered.</param>
/// <param name="Attempt">1 for the first time this handler saw this event id.</param>
public sealed record ProbeDelivery(string Handler, CloudEvent Event, int Attempt);
