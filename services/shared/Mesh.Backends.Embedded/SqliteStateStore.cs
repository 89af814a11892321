using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Mesh.State;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Backends.Embedded;

/// <summary>
/// <see cref="IStateStore"/> over one SQLite file in WAL mode. Writes are group-committed by a
/// single writer thread; the ETag is a database-wide version number that only grows (it is
/// persisted, so a deleted and re-created key never gets an ETag it had before).
/// </summary>
/// <remarks>
/// Keys are stored as their UTF-8 bytes, so <see cref="ScanAsync"/> returns them in UTF-8 byte
/// order, which equals ordinal UTF-16 order except between supplementary characters and
/// U+E000–U+FFFF. Reads run synchronously on the caller's thread (Microsoft.Data.Sqlite has no
/// asynchronous I/O); writes never do.
/// </remarks>
public sealed class SqliteStateStore : IStateStore, IAsyncDisposable
{
    /// <summary>Largest key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 512;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly SqliteDatabase database;
    private readonly bool ownsDatabase;

    internal SqliteStateStore(SqliteDatabase database, bool ownsDatabase)
    {
        this.database = database;
        this.ownsDatabase = ownsDatabase;
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string DatabasePath => database.DatabasePath;

    internal SqliteDatabase Database => database;

    /// <summary>Writer counters: how many writes were applied in how many commits.</summary>
    public EmbeddedWriteStatistics Statistics => database.Statistics;

    /// <summary>
    /// Opens (creating when missing) a store of its own, outside dependency injection. Disposing it
    /// flushes queued writes and closes the file. In a host use <c>AddMeshEmbeddedBackend</c> instead,
    /// so that the store and the event bus share one file and one writer.
    /// </summary>
    public static SqliteStateStore Open(EmbeddedOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SqliteStateStore>();
        return new SqliteStateStore(new SqliteDatabase(options, logger, timeProvider ?? TimeProvider.System), ownsDatabase: true);
    }

    /// <inheritdoc />
    public ValueTask<StateItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var keyBytes = EncodeKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        StateItem? item;
        long version = 0;
        using (var session = database.OpenRead())
        {
            item = Read(session, key, keyBytes, ref version);
        }

        return database.WhenDurable(item, version, item is null ? [key] : null, null, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StateItem>> GetBulkAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var encoded = keys.Select(EncodeKey).ToArray();
        cancellationToken.ThrowIfCancellationRequested();
        List<StateItem> items;
        List<string>? absent = null;
        long version = 0;
        using (var session = database.OpenRead())
        {
            items = session.InSnapshot(s =>
            {
                var found = new List<StateItem>(keys.Count);
                for (var i = 0; i < encoded.Length; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (Read(s, keys[i], encoded[i], ref version) is { } item)
                    {
                        found.Add(item);
                    }
                    else
                    {
                        (absent ??= []).Add(keys[i]);
                    }
                }

                return found;
            });
        }

        return database.WhenDurable<IReadOnlyList<StateItem>>(items, version, absent, null, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<string> SetAsync(string key, ReadOnlyMemory<byte> value, string? expectedETag = null, CancellationToken cancellationToken = default)
    {
        var keyBytes = EncodeKey(key);
        var blob = ToBlob(value);
        var external = false;
        if (InValueLog(key, blob.Length))
        {
            if (expectedETag == ETag.Absent && Exists(keyBytes))
            {
                // A create that cannot succeed appends nothing.
                throw new ETagMismatchException(key);
            }

            // Segments are never rewritten: a reference to equal bytes already stored stays valid whatever happens to the row.
            blob = (expectedETag == ETag.Absent ? null : StoredReference(keyBytes, blob)) ?? await AppendAsync(blob, cancellationToken).ConfigureAwait(false);
            external = true;
        }

        return await database.WriteAsync(
            context =>
            {
                CheckPrecondition(context, key, keyBytes, expectedETag);
                return Upsert(context, keyBytes, blob, external);
            },
            keyBytes.Length + blob.Length,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string key, string? expectedETag = null, CancellationToken cancellationToken = default)
    {
        var keyBytes = EncodeKey(key);
        await database.WriteAsync(
            context =>
            {
                CheckPrecondition(context, key, keyBytes, expectedETag);
                Delete(context, key, keyBytes);
                return true;
            },
            keyBytes.Length,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
        {
            return [];
        }

        var prepared = new (StateOperation Operation, byte[] Key, byte[]? Value, bool External)[operations.Count];
        var bytes = 0;
        List<Task>? syncs = null;
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i] ?? throw new ArgumentException("An operation is null.", nameof(operations));
            var keyBytes = EncodeKey(operation.Key);
            var value = operation switch
            {
                UpsertOperation upsert => ToBlob(upsert.Value),
                DeleteOperation => null,
                _ => throw new ArgumentException($"Unknown operation {operation.GetType().Name}.", nameof(operations)),
            };
            var external = false;
            if (value is not null && InValueLog(operation.Key, value.Length))
            {
                // Segments are never rewritten, so a reference to equal bytes already stored stays valid whatever happens to the row.
                if (StoredReference(keyBytes, value) is { } stored)
                {
                    value = stored;
                }
                else
                {
                    var reference = database.Values.Append(value);
                    (syncs ??= []).Add(database.Values.WhenSyncedAsync(reference));
                    value = reference.Encode();
                }

                external = true;
            }

            prepared[i] = (operation, keyBytes, value, external);
            bytes += keyBytes.Length + (value?.Length ?? 0);
        }

        if (syncs is not null)
        {
            // Nothing may point at value bytes before they are on disk (see ValueLog).
            await Task.WhenAll(syncs).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return await database.WriteAsync<IReadOnlyList<string>>(
            context =>
            {
                // Every precondition is checked against the state before the transaction, then all are applied.
                foreach (var (operation, keyBytes, _, _) in prepared)
                {
                    CheckPrecondition(context, operation.Key, keyBytes, operation.ExpectedETag);
                }

                var etags = new string[prepared.Length];
                for (var i = 0; i < prepared.Length; i++)
                {
                    var (operation, keyBytes, value, external) = prepared[i];
                    if (value is null)
                    {
                        Delete(context, operation.Key, keyBytes);
                        etags[i] = string.Empty;
                    }
                    else
                    {
                        etags[i] = Upsert(context, keyBytes, value, external);
                    }
                }

                return etags;
            },
            bytes,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StateItem>> ScanAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        cancellationToken.ThrowIfCancellationRequested();
        var prefixBytes = StrictUtf8.GetBytes(prefix);
        var lower = prefixBytes;
        var inclusive = true;
        if (afterKey is not null)
        {
            var after = StrictUtf8.GetBytes(afterKey);
            if (after.AsSpan().SequenceCompareTo(prefixBytes) >= 0)
            {
                lower = after;
                inclusive = false;
            }
        }

        var upper = UpperBound(prefixBytes);
        using var session = database.OpenRead();
        var command = session.Command((inclusive ? "SELECT key, version, value, ext FROM kv WHERE key >= $lo" : "SELECT key, version, value, ext FROM kv WHERE key > $lo")
            + (upper is null ? string.Empty : " AND key < $hi")
            + " ORDER BY key LIMIT $n;");
        command.Parameters.AddWithValue("$lo", lower);
        if (upper is not null)
        {
            command.Parameters.AddWithValue("$hi", upper);
        }

        command.Parameters.AddWithValue("$n", limit);
        var items = new List<StateItem>();
        long version = 0;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var key = StrictUtf8.GetString(reader.GetFieldValue<byte[]>(0));
                var itemVersion = reader.GetInt64(1);
                version = Math.Max(version, itemVersion);
                items.Add(new StateItem(key, Value(reader, 2), itemVersion.ToString(CultureInfo.InvariantCulture)));
            }
        }

        // A key under the prefix that is missing may have been deleted by a commit not yet durable.
        return database.WhenDurable<IReadOnlyList<StateItem>>(items, version, null, prefix, cancellationToken);
    }

    /// <summary>Flushes queued writes and closes the file when this store opened it.</summary>
    public ValueTask DisposeAsync() => ownsDatabase ? database.DisposeAsync() : ValueTask.CompletedTask;

    private StateItem? Read(ReadSession session, string key, byte[] keyBytes, ref long maxVersion)
    {
        var command = session.Command("SELECT version, value, ext FROM kv WHERE key = $k;");
        command.Parameters.AddWithValue("$k", keyBytes);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var version = reader.GetInt64(0);
        maxVersion = Math.Max(maxVersion, version);
        return new StateItem(key, Value(reader, 1), version.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The value in column <paramref name="ordinal"/>, or the bytes in the value segments it refers to (the next column says which).</summary>
    private byte[] Value(SqliteDataReader reader, int ordinal)
    {
        var stored = reader.GetFieldValue<byte[]>(ordinal);
        return reader.GetInt64(ordinal + 1) == 0 ? stored : database.Values.Read(ValueRef.Decode(stored));
    }

    /// <summary>Whether <paramref name="key"/>'s value of <paramref name="length"/> bytes goes to the value segments (<see cref="EmbeddedOptions.ValueLogPrefixes"/>).</summary>
    private bool InValueLog(string key, int length)
    {
        var options = database.Options;
        if (length < options.ValueLogMinBytes)
        {
            return false;
        }

        foreach (var prefix in options.ValueLogPrefixes)
        {
            if (prefix is not null && key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The stored reference of <paramref name="keyBytes"/> when it points at bytes equal to <paramref name="value"/>; otherwise null.</summary>
    private byte[]? StoredReference(byte[] keyBytes, byte[] value)
    {
        byte[] reference;
        using (var session = database.OpenRead())
        {
            var command = session.Command("SELECT value FROM kv WHERE key = $k AND ext = 1;");
            command.Parameters.AddWithValue("$k", keyBytes);
            if (command.ExecuteScalar() is not byte[] found)
            {
                return null;
            }

            reference = found;
        }

        try
        {
            return database.Values.Read(ValueRef.Decode(reference)).AsSpan().SequenceEqual(value) ? reference : null;
        }
        catch (InvalidDataException)
        {
            // Damaged bytes: append the value again, which repairs the key.
            return null;
        }
    }

    /// <summary>Appends <paramref name="value"/> to the value segments and returns the reference to commit, once the bytes are on disk.</summary>
    private async ValueTask<byte[]> AppendAsync(byte[] value, CancellationToken cancellationToken)
    {
        var reference = database.Values.Append(value);
        await database.Values.WhenSyncedAsync(reference).WaitAsync(cancellationToken).ConfigureAwait(false);
        return reference.Encode();
    }

    private bool Exists(byte[] keyBytes)
    {
        using var session = database.OpenRead();
        var command = session.Command("SELECT 1 FROM kv WHERE key = $k;");
        command.Parameters.AddWithValue("$k", keyBytes);
        return command.ExecuteScalar() is not null;
    }

    private static void CheckPrecondition(WriteContext context, string key, byte[] keyBytes, string? expectedETag)
    {
        if (expectedETag is null)
        {
            return;
        }

        var command = context.Command("SELECT version FROM kv WHERE key = $k;");
        command.Parameters.AddWithValue("$k", keyBytes);
        var current = command.ExecuteScalar() is long version ? version.ToString(CultureInfo.InvariantCulture) : null;
        var holds = expectedETag == ETag.Absent ? current is null : current is not null && string.Equals(current, expectedETag, StringComparison.Ordinal);
        if (!holds)
        {
            throw new ETagMismatchException(key);
        }
    }

    private static string Upsert(WriteContext context, byte[] keyBytes, byte[] value, bool external)
    {
        var version = context.NextVersion();
        var command = context.Command(
            "INSERT INTO kv (key, version, value, ext) VALUES ($k, $v, $d, $e) ON CONFLICT (key) DO UPDATE SET version = excluded.version, value = excluded.value, ext = excluded.ext;");
        command.Parameters.AddWithValue("$k", keyBytes);
        command.Parameters.AddWithValue("$v", version);
        command.Parameters.AddWithValue("$d", value);
        command.Parameters.AddWithValue("$e", external ? 1 : 0);
        command.ExecuteNonQuery();
        return version.ToString(CultureInfo.InvariantCulture);
    }

    private static void Delete(WriteContext context, string key, byte[] keyBytes)
    {
        var command = context.Command("DELETE FROM kv WHERE key = $k;");
        command.Parameters.AddWithValue("$k", keyBytes);
        if (command.ExecuteNonQuery() > 0)
        {
            context.Deleted.Add(key);
        }
    }

    private static byte[] EncodeKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(key);
        }
        catch (EncoderFallbackException exception)
        {
            throw new ArgumentException("The key is not valid UTF-16 text (lone surrogate).", nameof(key), exception);
        }

        if (bytes.Length > MaxKeyBytes)
        {
            throw new ArgumentException($"The key is {bytes.Length} bytes in UTF-8; at most {MaxKeyBytes} are allowed.", nameof(key));
        }

        return bytes;
    }

    private static byte[] ToBlob(ReadOnlyMemory<byte> value) =>
        MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : value.ToArray();

    /// <summary>The smallest byte string greater than every string that starts with <paramref name="prefix"/>; null when unbounded.</summary>
    private static byte[]? UpperBound(byte[] prefix)
    {
        // UTF-8 never contains 0xFF, so incrementing the last byte of a non-empty prefix cannot overflow.
        if (prefix.Length == 0)
        {
            return null;
        }

        var upper = (byte[])prefix.Clone();
        upper[^1]++;
        return upper;
    }
}
