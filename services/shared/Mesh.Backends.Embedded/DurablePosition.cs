namespace Mesh.Backends.Embedded;

/// <summary>
/// How far the group commits are durable: commit positions count up from 1, one per SQLite
/// transaction the writer commits; <see cref="Value"/> is the last one known to be on disk.
/// Advanced by one thread at a time (the writer, or the WAL syncer when syncs are pipelined);
/// awaited by readers that must not hand out what a power loss could still take back.
/// </summary>
internal sealed class DurablePosition
{
    private long position;
    private Exception? fault;
    private TaskCompletionSource next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The last commit position known to be durable.</summary>
    public long Value => Volatile.Read(ref position);

    /// <summary>Set when an fsync failed: nothing after <see cref="Value"/> can be called durable any more.</summary>
    public Exception? Fault => Volatile.Read(ref fault);

    /// <summary>Records that every commit up to <paramref name="to"/> is durable and wakes its waiters.</summary>
    public void Advance(long to)
    {
        if (to <= Volatile.Read(ref position))
        {
            return;
        }

        Volatile.Write(ref position, to);
        Interlocked.Exchange(ref next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Fails every present and future wait for a position beyond <see cref="Value"/>.</summary>
    public void Fail(Exception exception)
    {
        Volatile.Write(ref fault, exception);
        Interlocked.Exchange(ref next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>What a write or read that needed a commit made durable after a failed fsync gets.</summary>
    public static IOException NotDurable(Exception fsyncFailure) =>
        new("The embedded database could not make its commits durable (fsync failed); restart the process.", fsyncFailure);

    /// <summary>Completes once commit <paramref name="target"/> is durable (at once when it is).</summary>
    public ValueTask WaitAsync(long target, CancellationToken cancellationToken)
    {
        return Volatile.Read(ref position) >= target ? ValueTask.CompletedTask : WaitSlowAsync(target, cancellationToken);
    }

    private async ValueTask WaitSlowAsync(long target, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Taken before the check: an advance between the two completes this very task.
            var wake = Volatile.Read(ref next).Task;
            if (Volatile.Read(ref position) >= target)
            {
                return;
            }

            if (Volatile.Read(ref fault) is { } failed)
            {
                throw NotDurable(failed);
            }

            await wake.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
