using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Mesh.Backends.Embedded;

/// <summary>
/// The SQLite file shared by the state store and the outbox: one writer connection driven by a
/// dedicated thread (group commit), and pooled read-only connections for readers.
/// </summary>
/// <remarks>
/// With <see cref="SqliteSynchronous.Full"/> and <see cref="EmbeddedOptions.PipelinedSync"/> (the
/// defaults) the writer commits at SQLite's NORMAL level (WAL frames written, not fsynced) and hands
/// each group to a syncer thread, which fsyncs the WAL and only then answers the group's callers:
/// the writer applies the next group while the previous one's fsync runs, and one fsync covers every
/// group committed before it. A read of the state store that could have seen a commit not yet on
/// disk waits for that fsync before it returns, so nothing a power loss could take back is handed
/// out — the guarantee of SQLite's own FULL level, without the writer stalling on every fsync.
/// <para>
/// Microsoft.Data.Sqlite has no truly asynchronous I/O: its *Async methods run synchronously.
/// Writes therefore never touch the caller's thread (they are queued to the writer thread);
/// reads run synchronously on the caller's thread, which is cheap because WAL readers never wait
/// for the writer and hot pages are in SQLite's page cache.
/// </para>
/// </remarks>
internal sealed class SqliteDatabase : IAsyncDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta (name, value) VALUES ('version', 0);
        CREATE TABLE IF NOT EXISTS kv (key BLOB NOT NULL PRIMARY KEY, version INTEGER NOT NULL, value BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            topic TEXT NOT NULL,
            published_at INTEGER NOT NULL,
            id TEXT NOT NULL,
            source TEXT NOT NULL,
            type TEXT NOT NULL,
            data_content_type TEXT NOT NULL,
            time TEXT NOT NULL,
            subject TEXT,
            trace_parent TEXT,
            trace_state TEXT,
            data BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS outbox_by_topic ON outbox (topic, seq);
        CREATE TABLE IF NOT EXISTS consumer_cursor (grp TEXT NOT NULL, topic TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (grp, topic)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS delivery (
            grp TEXT NOT NULL, topic TEXT NOT NULL, seq INTEGER NOT NULL,
            attempts INTEGER NOT NULL, due_at INTEGER NOT NULL,
            PRIMARY KEY (grp, topic, seq)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS delivery_by_event ON delivery (topic, seq);
        """;

    private readonly EmbeddedOptions options;
    private readonly ILogger logger;
    private readonly FileStream lockFile;
    private readonly SqliteConnection writer;
    private readonly string readConnectionString;
    private readonly WriteContext context;
    private readonly Channel<WriteCommand> queue;
    private readonly Thread writerThread;
    private readonly Thread? checkpointerThread;
    private readonly CancellationTokenSource checkpointerStop = new();
    private readonly TaskCompletionSource writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DurablePosition durable = new();
    private readonly bool pipelined;
    private readonly FileStream? wal;
    private readonly Thread? syncerThread;
    private readonly object syncLock = new();
    private readonly Queue<SyncGroup> toSync = new();
    private readonly TaskCompletionSource syncerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> unsyncedDeletes = new(StringComparer.Ordinal);
    private bool writerDone;
    private long visible;
    private long durableVersion;
    private readonly Dictionary<string, SqliteCommand> control = new(StringComparer.Ordinal);
    private readonly KeyValuePair<string, object?>[] metricTags;
    private readonly System.Collections.Concurrent.ConcurrentBag<ReadSession> idleReaders = [];
    private readonly int maxIdleReaders = Math.Max(4, Environment.ProcessorCount * 4);
    private long writes;
    private long commits;
    private int disposed;

    public SqliteDatabase(EmbeddedOptions options, ILogger logger, TimeProvider timeProvider)
    {
        this.options = options;
        this.logger = logger;
        var directory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(directory);
        DatabasePath = Path.Combine(directory, EmbeddedOptions.DatabaseFileName);
        metricTags = [new("mesh.embedded.database", DatabasePath)];
        pipelined = options.Synchronous == SqliteSynchronous.Full && options.PipelinedSync;

        // Two processes on one file would each run a dispatcher and hand out the same versions; refuse early.
        lockFile = new FileStream(DatabasePath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var busySeconds = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds);
        var common = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Cache = SqliteCacheMode.Private, DefaultTimeout = busySeconds };
        var writeBuilder = new SqliteConnectionStringBuilder(common.ConnectionString) { Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        readConnectionString = new SqliteConnectionStringBuilder(common.ConnectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString;

        writer = new SqliteConnection(writeBuilder.ConnectionString);
        try
        {
            writer.Open();
            var journalMode = Scalar<string>("PRAGMA journal_mode = WAL;") ?? "?";
            Execute(ConnectionPragmas(options, pipelined));
            // After a checkpoint the WAL is truncated back to this size, so one burst of 4 MiB values does not keep a huge file.
            Execute("PRAGMA journal_size_limit = 67108864;");
            // Every write of a group commit runs in its own savepoint, whose statement journal SQLite keeps in a
            // temporary file by default: at 100 sends/s that was ~7 MB/s written to files opened and deleted
            // per commit. In memory it is bounded by the pages one write changes.
            Execute("PRAGMA temp_store = MEMORY;");
            Execute(Schema);
            if (Scalar<long>("SELECT COUNT(*) FROM pragma_table_info('kv') WHERE name = 'ext';") == 0)
            {
                // 1: the value column holds a ValueRef into the value segments (files written before this column existed have none).
                Execute("ALTER TABLE kv ADD COLUMN ext INTEGER NOT NULL DEFAULT 0;");
            }

            if (options.CheckpointInterval > TimeSpan.Zero)
            {
                Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA wal_autocheckpoint = {options.CheckpointRestartPages};"));
            }

            context = new WriteContext(writer, timeProvider, Scalar<long>("SELECT value FROM meta WHERE name = 'version';"));
            if (pipelined)
            {
                // The WAL exists once the connection has read in WAL mode. SQLite never deletes it while this
                // connection is open (only the last connection to close does), so the handle stays on the same file.
                wal = new FileStream(DatabasePath + "-wal", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
                wal.Flush(flushToDisk: true);
            }

            Values = new ValueLog(directory, options.ValueSegmentBytes, options.Synchronous != SqliteSynchronous.Off, logger);
            Log.Opened(logger, DatabasePath, options.Synchronous, journalMode);
        }
        catch
        {
            writer.Dispose();
            lockFile.Dispose();
            throw;
        }

        queue = Channel.CreateBounded<WriteCommand>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        writerThread = new Thread(RunWriter) { IsBackground = true, Name = "Mesh.Embedded.Writer" };
        writerThread.Start();
        if (pipelined)
        {
            syncerThread = new Thread(RunSyncer) { IsBackground = true, Name = "Mesh.Embedded.Syncer" };
            syncerThread.Start();
        }
        else
        {
            syncerStopped.TrySetResult();
        }

        if (options.CheckpointInterval > TimeSpan.Zero)
        {
            checkpointerThread = new Thread(RunCheckpointer) { IsBackground = true, Name = "Mesh.Embedded.Checkpointer" };
            checkpointerThread.Start();
        }
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string DatabasePath { get; }

    /// <summary>The segment files holding large values outside the SQLite file (<see cref="EmbeddedOptions.ValueLogPrefixes"/>).</summary>
    public ValueLog Values { get; }

    public EmbeddedOptions Options => options;

    public EmbeddedWriteStatistics Statistics => new(Interlocked.Read(ref writes), Interlocked.Read(ref commits));

    /// <summary>Tests only: runs on the syncer thread before each fsync (a test holds it to observe commits not yet durable).</summary>
    internal Action? BeforeSync { get; set; }

    /// <summary>
    /// Hands out <paramref name="value"/>, read from a snapshot just taken, once what it says is durable:
    /// every row it holds (<paramref name="maxVersion"/>: the highest version among them), and the absence
    /// of <paramref name="absentKeys"/> or of any other key under <paramref name="scanPrefix"/>, which a
    /// delete not yet fsynced could explain. At once unless syncs are pipelined and such a commit is still
    /// waiting for its fsync; versions grow with commits, so a row no newer than the last durable version
    /// needs no wait, and deletes are few.
    /// </summary>
    public ValueTask<T> WhenDurable<T>(T value, long maxVersion, IReadOnlyList<string>? absentKeys, string? scanPrefix, CancellationToken cancellationToken)
    {
        if (!pipelined)
        {
            return ValueTask.FromResult(value);
        }

        // Read after the snapshot: a commit the snapshot holds took its position, and noted its deletes, before its COMMIT.
        var target = maxVersion > Volatile.Read(ref durableVersion) ? Volatile.Read(ref visible) : 0;
        if (!unsyncedDeletes.IsEmpty && (absentKeys is not null || scanPrefix is not null))
        {
            foreach (var key in absentKeys ?? [])
            {
                if (unsyncedDeletes.TryGetValue(key, out var position))
                {
                    target = Math.Max(target, position);
                }
            }

            if (scanPrefix is not null)
            {
                foreach (var (key, position) in unsyncedDeletes)
                {
                    if (key.StartsWith(scanPrefix, StringComparison.Ordinal))
                    {
                        target = Math.Max(target, position);
                    }
                }
            }
        }

        var wait = durable.WaitAsync(target, cancellationToken);
        return wait.IsCompletedSuccessfully ? ValueTask.FromResult(value) : WaitThenAsync(wait, value);

        static async ValueTask<T> WaitThenAsync(ValueTask wait, T value)
        {
            await wait.ConfigureAwait(false);
            return value;
        }
    }

    /// <summary>
    /// Queues <paramref name="apply"/> for the next group commit and completes once it is durable.
    /// <paramref name="cancellationToken"/> is honoured until the writer takes the write; after that
    /// the outcome is always reported, so a caller never sees "cancelled" for a write that happened.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<WriteContext, T> apply, int estimatedBytes, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var command = new WriteCommand<T>(apply, estimatedBytes, cancellationToken);
        if (!queue.Writer.TryWrite(command))
        {
            try
            {
                await queue.Writer.WriteAsync(command, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(SqliteDatabase));
            }
        }

        return await command.Task.ConfigureAwait(false);
    }

    /// <summary>Rents a read-only connection (WAL: readers see the last commit and never block the writer).</summary>
    public ReadSession OpenRead()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (idleReaders.TryTake(out var session))
        {
            return session;
        }

        var connection = new SqliteConnection(readConnectionString);
        connection.Open();
        return new ReadSession(this, connection);
    }

    internal void Return(ReadSession session)
    {
        if (Volatile.Read(ref disposed) == 0 && idleReaders.Count < maxIdleReaders)
        {
            idleReaders.Add(session);

            // DisposeAsync drains the pool after setting the flag; if that happened before our Add, drain again.
            if (Volatile.Read(ref disposed) != 0)
            {
                CloseIdleReaders();
            }

            return;
        }

        session.Close();
    }

    private void CloseIdleReaders()
    {
        while (idleReaders.TryTake(out var session))
        {
            session.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        // Writes already queued are still committed: completing the channel lets the loop drain it.
        queue.Writer.TryComplete();
        await writerStopped.Task.ConfigureAwait(false);
        await syncerStopped.Task.ConfigureAwait(false);
        await checkpointerStop.CancelAsync().ConfigureAwait(false);
        checkpointerThread?.Join();
        checkpointerStop.Dispose();
        context.Dispose();
        foreach (var command in control.Values)
        {
            command.Dispose();
        }

        CloseIdleReaders();
        await writer.DisposeAsync().ConfigureAwait(false);
        Values.Dispose();
        if (wal is not null)
        {
            await wal.DisposeAsync().ConfigureAwait(false);
        }

        await lockFile.DisposeAsync().ConfigureAwait(false);
        Log.Closed(logger, DatabasePath);
    }

    /// <summary>
    /// Checkpoints off the writer thread (<see cref="EmbeddedOptions.CheckpointInterval"/>): a passive
    /// checkpoint copies committed pages into the database file and fsyncs it while writes go on. Only
    /// once the WAL holds <see cref="EmbeddedOptions.CheckpointRestartPages"/> does the writer checkpoint
    /// itself (SQLite's automatic checkpoint), copying just the pages committed since the last pass, so the
    /// next write starts the WAL over. With synchronous=FULL every checkpoint fsyncs the WAL before and the
    /// database after copying; the last connection to close checkpoints what is left.
    /// </summary>
    private void RunCheckpointer()
    {
        using var connection = new SqliteConnection(writer.ConnectionString);
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = ConnectionPragmas(options, pipelined);
            setup.ExecuteNonQuery();
        }

        using var passive = connection.CreateCommand();
        passive.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        var checkpointedAt = Interlocked.Read(ref commits);
        while (!checkpointerStop.Token.WaitHandle.WaitOne(options.CheckpointInterval))
        {
            var now = Interlocked.Read(ref commits);
            if (now == checkpointedAt)
            {
                continue;
            }

            try
            {
                passive.ExecuteNonQuery();
                checkpointedAt = now;
            }
#pragma warning disable CA1031 // A failed checkpoint (e.g. disk full) is retried at the next tick; the WAL keeps every commit meanwhile.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.CheckpointFailed(logger, DatabasePath, exception);
            }
        }
    }

    /// <summary>
    /// Durability and lock waits, the same on every connection that writes (a checkpoint writes the database
    /// file). Pipelined syncs run SQLite at NORMAL, which still fsyncs the WAL before and the database after
    /// every checkpoint and the WAL header when the WAL starts over; the syncer fsyncs every commit.
    /// </summary>
    private static string ConnectionPragmas(EmbeddedOptions options, bool pipelined) => string.Create(
        CultureInfo.InvariantCulture,
        $"PRAGMA synchronous = {(pipelined ? "NORMAL" : options.Synchronous.ToString().ToUpperInvariant())}; PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds};");

    private void RunWriter()
    {
        var reader = queue.Reader;
        var batch = new List<WriteCommand>(Math.Min(options.MaxBatchSize, 4096));
        try
        {
            while (WaitToRead(reader))
            {
                batch.Clear();
                long bytes = 0;
                while (batch.Count < options.MaxBatchSize && bytes < options.MaxBatchBytes && reader.TryRead(out var command))
                {
                    if (command.CancellationToken.IsCancellationRequested)
                    {
                        command.Cancel();
                        continue;
                    }

                    batch.Add(command);
                    bytes += command.EstimatedBytes;
                }

                if (batch.Count > 0)
                {
                    ApplyBatch(batch);
                }
            }
        }
        finally
        {
            lock (syncLock)
            {
                writerDone = true;
                Monitor.PulseAll(syncLock);
            }

            writerStopped.TrySetResult();
        }
    }

    private static bool WaitToRead(ChannelReader<WriteCommand> reader)
    {
        // A dedicated thread may block: it owns the writer connection and does nothing else.
        var wait = reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    private void ApplyBatch(List<WriteCommand> batch)
    {
        if (durable.Fault is { } fault)
        {
            // After a failed fsync nothing more may be called durable: the process must restart.
            foreach (var command in batch)
            {
                command.Fail(DurablePosition.NotDurable(fault));
            }

            return;
        }

        var started = Stopwatch.GetTimestamp();
        var failures = new Exception?[batch.Count];
        var versionBefore = context.Version;
        long position = 0;
        context.Deleted.Clear();
        try
        {
            Control("BEGIN IMMEDIATE;");
            for (var i = 0; i < batch.Count; i++)
            {
                // Each caller gets its own savepoint so that a failed precondition undoes only its own changes.
                Control("SAVEPOINT w;");
                try
                {
                    batch[i].Execute(context);
                    Control("RELEASE w;");
                }
#pragma warning disable CA1031 // Any failure of one caller's write belongs to that caller alone.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    Control("ROLLBACK TO w;");
                    Control("RELEASE w;");
                    failures[i] = exception;
                }
            }

            if (context.Version != versionBefore)
            {
                var persist = context.Command("UPDATE meta SET value = $v WHERE name = 'version';");
                persist.Parameters.AddWithValue("$v", context.Version);
                persist.ExecuteNonQuery();
            }

            // Taken, with the keys deleted, before the commit becomes visible: a reader that sees it then waits for its fsync.
            position = visible + 1;
            if (pipelined)
            {
                foreach (var key in context.Deleted)
                {
                    unsyncedDeletes[key] = position;
                }
            }

            Volatile.Write(ref visible, position);
            Control("COMMIT;");
        }
#pragma warning disable CA1031 // The failure is handed to every caller of the group.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            TryRollback();
            context.Version = versionBefore;
            Log.CommitFailed(logger, batch.Count, exception);
            EmbeddedTelemetry.Writes.Add(batch.Count, new KeyValuePair<string, object?>("outcome", "error"));
            foreach (var command in batch)
            {
                command.Fail(exception);
            }

            if (position > 0)
            {
                // Nothing of this group is visible, but readers may wait on its position.
                Settle(new SyncGroup(position, 0, [], [], started));
            }

            return;
        }

        Interlocked.Add(ref writes, batch.Count);
        Interlocked.Increment(ref commits);
        EmbeddedTelemetry.BatchSize.Record(batch.Count, metricTags);
        var rejected = failures.Count(f => f is not null);
        EmbeddedTelemetry.Writes.Add(batch.Count - rejected, new KeyValuePair<string, object?>("outcome", "committed"));
        if (rejected > 0)
        {
            EmbeddedTelemetry.Writes.Add(rejected, new KeyValuePair<string, object?>("outcome", "rejected"));
        }

        Settle(new SyncGroup(position, context.Version, [.. batch], failures, started));
    }

    /// <summary>Answers a committed group's callers once it is durable: at once, or after the syncer's next fsync.</summary>
    private void Settle(SyncGroup group)
    {
        if (!pipelined)
        {
            durable.Advance(group.Position);
            Answer(group);
            return;
        }

        lock (syncLock)
        {
            toSync.Enqueue(group);
            Monitor.Pulse(syncLock);
        }
    }

    private void Answer(SyncGroup group)
    {
        if (group.Commands.Length > 0)
        {
            EmbeddedTelemetry.CommitDuration.Record(Stopwatch.GetElapsedTime(group.Started).TotalSeconds, metricTags);
        }

        for (var i = 0; i < group.Commands.Length; i++)
        {
            if (group.Failures[i] is { } failure)
            {
                group.Commands[i].Fail(failure);
            }
            else
            {
                group.Commands[i].Complete();
            }
        }
    }

    /// <summary>
    /// The syncer thread (pipelined syncs): takes every group committed so far, fsyncs the WAL once,
    /// and answers them; groups committed during the fsync wait for the next one. A failed fsync
    /// fails its groups and every later write: the kernel may have dropped the pages it could not
    /// write, so no later fsync could vouch for them.
    /// </summary>
    private void RunSyncer()
    {
        var groups = new List<SyncGroup>();
        try
        {
            while (true)
            {
                lock (syncLock)
                {
                    while (toSync.Count == 0 && !writerDone)
                    {
                        Monitor.Wait(syncLock);
                    }

                    if (toSync.Count == 0)
                    {
                        return;
                    }

                    groups.AddRange(toSync);
                    toSync.Clear();
                }

                BeforeSync?.Invoke();
                var started = Stopwatch.GetTimestamp();
                Exception? failure = durable.Fault;
                if (failure is null)
                {
                    try
                    {
                        wal!.Flush(flushToDisk: true);
                        EmbeddedTelemetry.SyncDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, metricTags);
                    }
                    catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                    {
                        Log.SyncFailed(logger, DatabasePath, exception);
                        durable.Fail(exception);
                        failure = exception;
                    }
                }

                if (failure is null)
                {
                    var last = groups[^1].Position;
                    Volatile.Write(ref durableVersion, Math.Max(durableVersion, groups.Max(g => g.MaxVersion)));
                    durable.Advance(last);
                    foreach (var entry in unsyncedDeletes)
                    {
                        if (entry.Value <= last)
                        {
                            unsyncedDeletes.TryRemove(entry);
                        }
                    }

                    foreach (var group in groups)
                    {
                        Answer(group);
                    }
                }
                else
                {
                    var notDurable = DurablePosition.NotDurable(failure);
                    foreach (var command in groups.SelectMany(g => g.Commands))
                    {
                        command.Fail(notDurable);
                    }
                }

                groups.Clear();
            }
        }
        finally
        {
            syncerStopped.TrySetResult();
        }
    }

    private void TryRollback()
    {
        try
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(writer.Handle) == 0)
            {
                Control("ROLLBACK;");
            }
        }
#pragma warning disable CA1031 // A failed rollback leaves SQLite to roll back on the next BEGIN; the original error is what matters.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private void Control(string sql)
    {
        if (!control.TryGetValue(sql, out var command))
        {
            command = writer.CreateCommand();
            command.CommandText = sql;
            control.Add(sql, command);
        }

        command.ExecuteNonQuery();
    }

    private void Execute(string sql)
    {
        using var command = writer.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private T? Scalar<T>(string sql)
    {
        using var command = writer.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
    }
}

/// <summary>One committed group of writes on its way to its callers: its commit position, the last version it handed out, commands and their own failures.</summary>
internal sealed record SyncGroup(long Position, long MaxVersion, WriteCommand[] Commands, Exception?[] Failures, long Started);

/// <summary>Counters of the embedded writer, for tests and diagnostics.</summary>
/// <param name="Writes">Write requests committed or rejected by a precondition since the backend was opened.</param>
/// <param name="Commits">SQLite transactions committed since the backend was opened (one per group commit).</param>
public readonly record struct EmbeddedWriteStatistics(long Writes, long Commits);
