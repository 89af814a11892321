using System.Buffers.Binary;
using System.Collections.Concurrent;
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
/// every key before it: a watcher that resumes after a cursor misses nothing. Writers of one
/// agency are serialised in-process (no ETag conflicts between them); a conflict with another
/// process re-reads the counter and retries.
/// </summary>
internal sealed class InboxWriter(IStateStore store, InboxNotifier notifier)
{
    private const int MaxAttempts = 8;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Value, string ETag)> counters = new(StringComparer.Ordinal);

    /// <summary>Commits <paramref name="operations"/> and <paramref name="items"/> at once; returns the new ETags of the operations.</summary>
    public async Task<IReadOnlyList<string>> CommitAsync(IReadOnlyList<StateOperation> operations, IReadOnlyList<PendingInboxItem> items, CancellationToken cancellationToken)
    {
        var organs = items.Select(i => i.OrganId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var held = new List<SemaphoreSlim>(organs.Count);
        try
        {
            // Always in ordinal order, so two writers never wait on each other crosswise.
            foreach (var organ in organs)
            {
                var gate = locks.GetOrAdd(organ, _ => new SemaphoreSlim(1, 1));
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                held.Add(gate);
            }

            for (var attempt = 1; ; attempt++)
            {
                var current = new Dictionary<string, (long Value, string ETag)>(StringComparer.Ordinal);
                foreach (var organ in organs)
                {
                    current[organ] = await CounterAsync(organ, cancellationToken).ConfigureAwait(false);
                }

                var all = new List<StateOperation>(operations.Count + items.Count + organs.Count);
                all.AddRange(operations);
                var last = current.ToDictionary(c => c.Key, c => c.Value.Value, StringComparer.Ordinal);
                foreach (var item in items)
                {
                    var sequence = ++last[item.OrganId];
                    all.Add(StateOperation.Upsert(RoutingKeys.Inbox(item.OrganId, sequence), Stored.Write(item.Entry(sequence), RoutingJson.Default.InboxEntry), ETag.Absent));
                }

                foreach (var organ in organs)
                {
                    var bytes = new byte[8];
                    BinaryPrimitives.WriteInt64BigEndian(bytes, last[organ]);
                    all.Add(StateOperation.Upsert(RoutingKeys.Sequence(organ), bytes, current[organ].ETag));
                }

                IReadOnlyList<string> etags;
                try
                {
                    etags = await store.TransactAsync(all, cancellationToken).ConfigureAwait(false);
                }
                catch (ETagMismatchException e) when (attempt < MaxAttempts && (e.Key.StartsWith("routing/seq/", StringComparison.Ordinal) || e.Key.StartsWith("routing/inbox/", StringComparison.Ordinal)))
                {
                    // Another process appended to one of these inboxes: read the counters again.
                    foreach (var organ in organs)
                    {
                        counters.TryRemove(organ, out _);
                    }

                    continue;
                }

                for (var i = 0; i < organs.Count; i++)
                {
                    counters[organs[i]] = (last[organs[i]], etags[operations.Count + items.Count + i]);
                }

                return etags.Take(operations.Count).ToList();
            }
        }
        catch
        {
            // The transaction may or may not have reached the store (e.g. cancelled while queued): read the counters again.
            foreach (var organ in organs)
            {
                counters.TryRemove(organ, out _);
            }

            throw;
        }
        finally
        {
            foreach (var gate in held)
            {
                gate.Release();
            }

            foreach (var organ in organs)
            {
                notifier.Pulse(organ);
            }
        }
    }

    /// <summary>The last sequence of an agency's inbox (0 when empty).</summary>
    public async ValueTask<long> LastSequenceAsync(string organ, CancellationToken cancellationToken) =>
        (await CounterAsync(organ, cancellationToken).ConfigureAwait(false)).Value;

    private async ValueTask<(long Value, string ETag)> CounterAsync(string organ, CancellationToken cancellationToken)
    {
        if (counters.TryGetValue(organ, out var cached))
        {
            return cached;
        }

        var item = await store.GetAsync(RoutingKeys.Sequence(organ), cancellationToken).ConfigureAwait(false);
        var value = item is null ? (0L, ETag.Absent) : (BinaryPrimitives.ReadInt64BigEndian(item.Value.Span), item.ETag);
        counters[organ] = value;
        return value;
    }
}
