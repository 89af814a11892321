using Mesh.State;

namespace Mesh.Audit.Testing;

/// <summary>
/// An <see cref="IStateStore"/> in memory with the port's ETag semantics (first write wins,
/// <see cref="ETag.Absent"/> create-only, all-or-nothing transactions, ordinal prefix scans).
/// Stands in for the Embedded store until it lands; shared with the audit benchmark.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly SortedDictionary<string, StateItem> _items = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _version;

    /// <summary>Called inside every transaction before it is applied; throwing aborts it (fault injection).</summary>
    public Action<IReadOnlyList<StateOperation>>? BeforeTransact { get; set; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    public IReadOnlyList<string> Keys(string prefix)
    {
        lock (_gate)
        {
            return [.. _items.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))];
        }
    }

    public ValueTask<StateItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_items.GetValueOrDefault(key));
        }
    }

    public ValueTask<IReadOnlyList<StateItem>> GetBulkAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        lock (_gate)
        {
            IReadOnlyList<StateItem> found = [.. keys.Distinct(StringComparer.Ordinal).Select(k => _items.GetValueOrDefault(k)).OfType<StateItem>()];
            return ValueTask.FromResult(found);
        }
    }

    public async ValueTask<string> SetAsync(string key, ReadOnlyMemory<byte> value, string? expectedETag = null, CancellationToken cancellationToken = default)
    {
        var etags = await TransactAsync([StateOperation.Upsert(key, value, expectedETag)], cancellationToken).ConfigureAwait(false);
        return etags[0];
    }

    public async ValueTask DeleteAsync(string key, string? expectedETag = null, CancellationToken cancellationToken = default) =>
        await TransactAsync([StateOperation.Delete(key, expectedETag)], cancellationToken).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<string>> TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            foreach (var op in operations)
            {
                if (op.ExpectedETag is null)
                {
                    continue;
                }

                var exists = _items.TryGetValue(op.Key, out var current);
                var holds = op.ExpectedETag == ETag.Absent ? !exists : exists && current!.ETag == op.ExpectedETag;
                if (!holds)
                {
                    throw new ETagMismatchException(op.Key);
                }
            }

            BeforeTransact?.Invoke(operations);
            var etags = new List<string>(operations.Count);
            foreach (var op in operations)
            {
                switch (op)
                {
                    case UpsertOperation upsert:
                        var etag = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
                        _items[op.Key] = new StateItem(op.Key, upsert.Value.ToArray(), etag);
                        etags.Add(etag);
                        break;
                    case DeleteOperation:
                        _items.Remove(op.Key);
                        etags.Add("");
                        break;
                    default:
                        throw new NotSupportedException(op.GetType().Name);
                }
            }

            return ValueTask.FromResult<IReadOnlyList<string>>(etags);
        }
    }

    public ValueTask<IReadOnlyList<StateItem>> ScanAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<StateItem> page = [.. _items
                .SkipWhile(kv => string.CompareOrdinal(kv.Key, prefix) < 0 || (afterKey is not null && string.CompareOrdinal(kv.Key, afterKey) <= 0))
                .TakeWhile(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Take(limit)
                .Select(kv => kv.Value)];
            return ValueTask.FromResult(page);
        }
    }

    /// <summary>A deep copy, as an operator would copy the data directory for offline verification.</summary>
    public InMemoryStateStore Copy()
    {
        var copy = new InMemoryStateStore();
        lock (_gate)
        {
            foreach (var (key, item) in _items)
            {
                copy._items[key] = item with { Value = item.Value.ToArray() };
            }

            copy._version = _version;
        }

        return copy;
    }
}
