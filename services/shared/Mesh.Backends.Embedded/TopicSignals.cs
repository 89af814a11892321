using System.Collections.Concurrent;

namespace Mesh.Backends.Embedded;

/// <summary>Wakes the dispatcher of a topic as soon as a publish to it is committed, so delivery needs no polling.</summary>
internal sealed class TopicSignals
{
    private readonly ConcurrentDictionary<string, AsyncSignal> signals = new(StringComparer.Ordinal);

    public AsyncSignal For(string topic) => signals.GetOrAdd(topic, static _ => new AsyncSignal());

    public void Notify(string topic)
    {
        if (signals.TryGetValue(topic, out var signal))
        {
            signal.Set();
        }
    }
}

/// <summary>
/// An edge-triggered wake-up. Take <see cref="WaitAsync"/> before checking for work, then await it:
/// a <see cref="Set"/> between the check and the await is not lost.
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task WaitAsync() => Volatile.Read(ref current).Task;

    public void Set() =>
        Interlocked.Exchange(ref current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
