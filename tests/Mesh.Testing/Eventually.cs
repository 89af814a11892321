namespace Mesh.Testing;

/// <summary>
/// Waits for a condition without sleeping: the condition is re-checked each time the
/// <see cref="ChangeSignal"/> it depends on is pulsed, until it holds or the timeout passes.
/// </summary>
public static class Eventually
{
    /// <summary>Generous enough for a loaded 2-core CI machine; a passing test never waits for it.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Completes when <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> otherwise.</summary>
    public static async Task UntilAsync(ChangeSignal signal, Func<bool> condition, string description, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(signal);
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            // Taken before the check so that a change between the check and the wait is not missed.
            var changed = signal.NextChange;
            if (condition())
            {
                return;
            }

            var remaining = deadline - DateTimeOffset.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Timed out waiting until {description}.");
            }

            try
            {
                await changed.WaitAsync(remaining).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                if (condition())
                {
                    return;
                }

                throw new TimeoutException($"Timed out after {timeout ?? DefaultTimeout} waiting until {description}.");
            }
        }
    }

    /// <summary>Awaits <paramref name="task"/>, failing with a clear message after the timeout.</summary>
    public static async Task<T> CompletesAsync<T>(Task<T> task, string description, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            return await task.WaitAsync(timeout ?? DefaultTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException($"Timed out waiting for {description}.", exception);
        }
    }
}

/// <summary>Something tests can wait on: pulsed whenever the observed state changes.</summary>
public sealed class ChangeSignal
{
    private TaskCompletionSource next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task that completes at the next <see cref="Pulse"/>.</summary>
    public Task NextChange => Volatile.Read(ref next).Task;

    /// <summary>Wakes everyone waiting on <see cref="NextChange"/>.</summary>
    public void Pulse() =>
        Interlocked.Exchange(ref next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
