using Mesh.State;

namespace Mesh.Storage.Tests.Support;

/// <summary>
/// An <see cref="IStateStore"/> with the real ETag semantics, for tests until the Embedded store
/// lands. Values are copied on write (as every backend does) and counted, so memory tests can
/// tell the store's own copies apart from what the code under test allocates.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, (byte[] Value, string ETag)> _items = new(StringComparer.Ordinal);
    private long _version;
    private long _bytesCopied;
    private long _writes;

    /// <summary>Bytes copied into the store by successful writes.</summary>
    public long BytesCopied => Interlocked.Read(ref _bytesCopied);

    /// <summary>Successful writes (sets and transaction upserts).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    public int CountKeys(string prefix)
    {
        lock (_gate)
        {
            return _items.Keys.Count(k => k.StartsWith(prefix, StringComparison.Ordinal));
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
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            // Stored arrays are never mutated after the write, so handing them out without a copy is safe.
            return ValueTask.FromResult(_items.TryGetValue(key, out var entry) ? new StateItem(key, entry.Value, entry.ETag) : null);
        }
    }

    public ValueTask<IReadOnlyList<StateItem>> GetBulkAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            IReadOnlyList<StateItem> found = [.. keys.Where(_items.ContainsKey).Distinct().Select(k => new StateItem(k, _items[k].Value, _items[k].ETag))];
            return ValueTask.FromResult(found);
        }
    }

    public ValueTask<string> SetAsync(string key, ReadOnlyMemory<byte> value, string? expectedETag = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            Check(key, expectedETag);
            return ValueTask.FromResult(Write(key, value));
        }
    }

    public ValueTask DeleteAsync(string key, string? expectedETag = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            Check(key, expectedETag);
            _items.Remove(key);
            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<IReadOnlyList<string>> TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            foreach (var operation in operations)
            {
                Check(operation.Key, operation.ExpectedETag);
            }

            var etags = new List<string>(operations.Count);
            foreach (var operation in operations)
            {
                switch (operation)
                {
                    case UpsertOperation upsert:
                        etags.Add(Write(upsert.Key, upsert.Value));
                        break;
                    case DeleteOperation delete:
                        _items.Remove(delete.Key);
                        etags.Add(string.Empty);
                        break;
                }
            }

            return ValueTask.FromResult<IReadOnlyList<string>>(etags);
        }
    }

    public ValueTask<IReadOnlyList<StateItem>> ScanAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            IReadOnlyList<StateItem> page =
            [
                .. _items
                    .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && (afterKey is null || string.CompareOrdinal(kv.Key, afterKey) > 0))
                    .Take(limit)
                    .Select(kv => new StateItem(kv.Key, kv.Value.Value, kv.Value.ETag)),
            ];
            return ValueTask.FromResult(page);
        }
    }

    private void Check(string key, string? expectedETag)
    {
        var exists = _items.TryGetValue(key, out var entry);
        var holds = expectedETag switch
        {
            null => true,
            ETag.Absent => !exists,
            _ => exists && entry.ETag == expectedETag,
        };
        if (!holds)
        {
            throw new ETagMismatchException(key);
        }
    }

    private string Write(string key, ReadOnlyMemory<byte> value)
    {
        var etag = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _items[key] = (value.ToArray(), etag);
        Interlocked.Add(ref _bytesCopied, value.Length);
        Interlocked.Increment(ref _writes);
        return etag;
    }
}
