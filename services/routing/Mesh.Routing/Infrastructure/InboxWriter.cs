using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Mesh.State;

namespace Mesh.Routing.Infrastructure;

/// <summary>Wakes the inbox watchers of one agency in this process.</summary>
internal sealed class InboxNotifier
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> next = new(StringComparer.Ordinal);

    /// <summary>A task that completes at the next new item for <paramref name="organId"/>.</summary>
    public Task NextChange(string organId) =>
        next.GetOrAdd(organId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Announces new items for <paramref name="organId"/>.</summary>
    public void Pulse(string organId)
    {
        if (next.TryRemove(organId, out var fired))
        {
            fired.TrySetResult();
        }
    }
}

/// <summary>An inbox item to append for one agency; its sequence is known only at commit.</summary>
internal sealed record PendingInboxItem(string OrganId, Func<long, InboxEntry> Entry);

/// <summary>
/// Commits operations together with inbox items. Each agency has a sequence counter updated in
/// the same transaction as its items, guarded by its ETag, so an inbox key is visible only with
/// every key before it: a watcher that resumes after a cursor misses nothing.
/// </summary>
/// <remarks>
/// Concurrent commits are combined: one loop takes every commit queued while the previous
/// transaction was on its way to disk, gives their items consecutive sequences and writes them all
/// in one transaction (group commit at the inbox level). Sends to the same agency therefore never
/// wait for each other's commit one by one, which is what a per-agency lock held across a durable
/// commit did. A precondition failure belongs to one commit: it fails that commit only and the
/// others are written again without it. A conflict on a counter (another process appended to that
/// inbox) reloads the counters and retries.
/// </remarks>
internal sealed class InboxWriter(IStateStore store, InboxNotifier notifier) : IAsyncDisposable
{
    private const int MaxCounterConflicts = 8;
    private const int MaxBatch = 256;
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, (long Value, string ETag)> counters = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock startGate = new();
    private Task? loop;

    /// <summary>Commits <paramref name="operations"/> and <paramref name="items"/> at once; returns the new ETags of the operations.</summary>
    /// <exception cref="ETagMismatchException">A precondition of <paramref name="operations"/> failed; nothing of this commit was written.</exception>
    public async Task<IReadOnlyList<string>> CommitAsync(IReadOnlyList<StateOperation> operations, IReadOnlyList<PendingInboxItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(items);
        cancellationToken.ThrowIfCancellationRequested();
        EnsureStarted();
        var pending = new Pending(operations, items, cancellationToken);
        if (!queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(InboxWriter));
        }

        // Once taken into a transaction a commit completes whatever this caller does; until then it is dropped on cancellation.
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        if (loop is { } running)
        {
            try
            {
                await running.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await stopping.CancelAsync().ConfigureAwait(false);
            }
        }

        stopping.Dispose();
    }

    private void EnsureStarted()
    {
        if (loop is not null)
        {
            return;
        }

        lock (startGate)
        {
            loop ??= Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var pending))
            {
                if (pending.Token.IsCancellationRequested)
                {
                    pending.Completion.TrySetCanceled(pending.Token);
                }
                else
                {
                    batch.Add(pending);
                }
            }

            try
            {
                await CommitBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Whether the transaction reached the store is unknown: read the counters again next time.
                counters.Clear();
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(e);
                }
            }
        }
    }

    private async Task CommitBatchAsync(List<Pending> batch)
    {
        var counterConflicts = 0;
        while (batch.Count > 0)
        {
            var organs = batch.SelectMany(p => p.Items).Select(i => i.OrganId).Distinct(StringComparer.Ordinal).ToList();
            var last = new Dictionary<string, long>(organs.Count, StringComparer.Ordinal);
            foreach (var organ in organs)
            {
                last[organ] = (await CounterAsync(organ).ConfigureAwait(false)).Value;
            }

            var all = new List<StateOperation>();
            var firstOperation = new int[batch.Count];
            var owners = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var b = 0; b < batch.Count; b++)
            {
                firstOperation[b] = all.Count;
                foreach (var operation in batch[b].Operations)
                {
                    all.Add(operation);
                    owners[operation.Key] = b;
                }

                foreach (var item in batch[b].Items)
                {
                    var sequence = ++last[item.OrganId];
                    all.Add(StateOperation.Upsert(RoutingKeys.Inbox(item.OrganId, sequence), Stored.Write(item.Entry(sequence), RoutingJson.Default.InboxEntry), ETag.Absent));
                }
            }

            var firstCounter = all.Count;
            foreach (var organ in organs)
            {
                var bytes = new byte[8];
                BinaryPrimitives.WriteInt64BigEndian(bytes, last[organ]);
                all.Add(StateOperation.Upsert(RoutingKeys.Sequence(organ), bytes, counters[organ].ETag));
            }

            IReadOnlyList<string> etags;
            try
            {
                etags = await store.TransactAsync(all, stopping.Token).ConfigureAwait(false);
            }
            catch (ETagMismatchException e) when (IsCounterKey(e.Key))
            {
                // Another process appended to one of these inboxes: read the counters again.
                counters.Clear();
                if (++counterConflicts < MaxCounterConflicts)
                {
                    continue;
                }

                throw;
            }
            catch (ETagMismatchException e) when (owners.TryGetValue(e.Key, out var owner))
            {
                // One commit's precondition: it alone fails (the last one naming the key, should two name it), the rest go again.
                batch[owner].Completion.TrySetException(e);
                batch.RemoveAt(owner);
                continue;
            }

            for (var i = 0; i < organs.Count; i++)
            {
                counters[organs[i]] = (last[organs[i]], etags[firstCounter + i]);
            }

            for (var b = 0; b < batch.Count; b++)
            {
                batch[b].Completion.TrySetResult(etags.Skip(firstOperation[b]).Take(batch[b].Operations.Count).ToList());
            }

            foreach (var organ in organs)
            {
                notifier.Pulse(organ);
            }

            return;
        }
    }

    private static bool IsCounterKey(string key) =>
        key.StartsWith("routing/seq/", StringComparison.Ordinal) || key.StartsWith("routing/inbox/", StringComparison.Ordinal);

    private async ValueTask<(long Value, string ETag)> CounterAsync(string organ)
    {
        if (counters.TryGetValue(organ, out var cached))
        {
            return cached;
        }

        var item = await store.GetAsync(RoutingKeys.Sequence(organ), stopping.Token).ConfigureAwait(false);
        var value = item is null ? (0L, ETag.Absent) : (BinaryPrimitives.ReadInt64BigEndian(item.Value.Span), item.ETag);
        counters[organ] = value;
        return value;
    }

    private sealed class Pending(IReadOnlyList<StateOperation> operations, IReadOnlyList<PendingInboxItem> items, CancellationToken token)
    {
        public IReadOnlyList<StateOperation> Operations { get; } = operations;

        public IReadOnlyList<PendingInboxItem> Items { get; } = items;

        public CancellationToken Token { get; } = token;

        public TaskCompletionSource<IReadOnlyList<string>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
