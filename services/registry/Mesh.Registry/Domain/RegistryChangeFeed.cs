namespace Mesh.Registry.Domain;

/// <summary>
/// In-process notification of registry changes: caches drop stale entries at once and
/// WatchChanges streams wake up. Other processes learn of changes by reading the stored feed.
/// </summary>
public sealed class RegistryChangeFeed
{
    private readonly Lock gate = new();
    private TaskCompletionSource next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Raised after every committed change, on the writer's thread.</summary>
    public event Action<RegistryChange>? Changed;

    /// <summary>A task that completes at the next change.</summary>
    public Task NextChange
    {
        get
        {
            lock (gate)
            {
                return next.Task;
            }
        }
    }

    /// <summary>Announces a committed change.</summary>
    public void Publish(RegistryChange change)
    {
        TaskCompletionSource fired;
        lock (gate)
        {
            fired = next;
            next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        Changed?.Invoke(change);
        fired.TrySetResult();
    }
}
