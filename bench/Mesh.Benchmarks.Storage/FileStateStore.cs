using Mesh.State;

namespace Mesh.Benchmarks.Storage;

/// <summary>
/// A file-per-key <see cref="IStateStore"/> for this benchmark only: values live on disk (so a
/// 1 GiB blob does not sit in the process's memory as it would in an in-memory store), ETags in
/// a dictionary. Not crash-safe, no transactions across restarts: the SQLite store replaces it
/// when it lands. Writes go to a temporary file and are renamed into place, so a value is never
/// seen half written and "create only if absent" is the atomic no-replace rename.
/// </summary>
public sealed class FileStateStore(string directory) : IStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private long _version;

    public async ValueTask<StateItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        string etag;
        lock (_gate)
        {
            if (!_versions.TryGetValue(key, out var version))
            {
                return null;
            }

            etag = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var value = await File.ReadAllBytesAsync(PathOf(key), cancellationToken).ConfigureAwait(false);
        return new StateItem(key, value, etag);
    }

    public async ValueTask<IReadOnlyList<StateItem>> GetBulkAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        var found = new List<StateItem>();
        foreach (var key in keys.Distinct())
        {
            if (await GetAsync(key, cancellationToken).ConfigureAwait(false) is { } item)
            {
                found.Add(item);
            }
        }

        return found;
    }

    public async ValueTask<string> SetAsync(string key, ReadOnlyMemory<byte> value, string? expectedETag = null, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous))
        {
            await file.WriteAsync(value, cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            if (!Holds(key, expectedETag))
            {
                File.Delete(temp);
                throw new ETagMismatchException(key);
            }

            File.Move(temp, path, overwrite: true);
            var version = ++_version;
            _versions[key] = version;
            return version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public ValueTask DeleteAsync(string key, string? expectedETag = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!Holds(key, expectedETag))
            {
                throw new ETagMismatchException(key);
            }

            _versions.Remove(key);
            File.Delete(PathOf(key));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<string>> TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            foreach (var operation in operations)
            {
                if (!Holds(operation.Key, operation.ExpectedETag))
                {
                    throw new ETagMismatchException(operation.Key);
                }
            }

            var etags = new List<string>(operations.Count);
            foreach (var operation in operations)
            {
                if (operation is UpsertOperation upsert)
                {
                    var path = PathOf(upsert.Key);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    var temp = $"{path}.{Guid.NewGuid():N}.tmp";
                    File.WriteAllBytes(temp, upsert.Value.ToArray());
                    File.Move(temp, path, overwrite: true);
                    var version = ++_version;
                    _versions[upsert.Key] = version;
                    etags.Add(version.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    _versions.Remove(operation.Key);
                    File.Delete(PathOf(operation.Key));
                    etags.Add(string.Empty);
                }
            }

            return ValueTask.FromResult<IReadOnlyList<string>>(etags);
        }
    }

    public async ValueTask<IReadOnlyList<StateItem>> ScanAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default)
    {
        List<string> keys;
        lock (_gate)
        {
            keys = [.. _versions.Keys
                .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && (afterKey is null || string.CompareOrdinal(k, afterKey) > 0))
                .Order(StringComparer.Ordinal)
                .Take(limit)];
        }

        return await GetBulkAsync(keys, cancellationToken).ConfigureAwait(false);
    }

    private bool Holds(string key, string? expectedETag)
    {
        var exists = _versions.TryGetValue(key, out var current);
        return expectedETag switch
        {
            null => true,
            ETag.Absent => !exists,
            _ => exists && current.ToString(System.Globalization.CultureInfo.InvariantCulture) == expectedETag,
        };
    }

    private string PathOf(string key) => Path.Combine(directory, key.Replace('/', Path.DirectorySeparatorChar));
}
