using System.ComponentModel.DataAnnotations;

namespace Mesh.Backends.Embedded;

/// <summary>
/// Settings of the embedded backend, bound from the configuration section
/// <c>Mesh:Backend:Embedded</c> (<see cref="SectionName"/>).
/// </summary>
public sealed class EmbeddedOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Mesh:Backend:Embedded";

    /// <summary>Name of the SQLite file inside <see cref="DataDirectory"/>.</summary>
    public const string DatabaseFileName = "mesh.db";

    /// <summary>Directory inside <see cref="DataDirectory"/> holding the value segments (<see cref="ValueLogPrefixes"/>).</summary>
    public const string ValueDirectoryName = "values";

    /// <summary>Directory holding the SQLite file; created when missing.</summary>
    [Required]
    public string DataDirectory { get; set; } = ".mesh-data";

    /// <summary>
    /// SQLite <c>synchronous</c> level. <see cref="SqliteSynchronous.Full"/> (the default) fsyncs the
    /// WAL on every commit so that a write that returned survives a power loss.
    /// </summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>
    /// With <see cref="SqliteSynchronous.Full"/>: the writer thread commits without waiting for the disk and
    /// a syncer thread fsyncs the WAL, answering each group of writes once an fsync has covered it (one fsync
    /// for every group committed meanwhile); a state-store read that could have seen a commit not yet
    /// fsynced waits for that fsync. The same guarantee as SQLite's FULL — a write that returned, and
    /// anything a read returned, survives a power loss — but the writer no longer stops for each fsync.
    /// False: SQLite fsyncs inside every commit on the writer thread.
    /// </summary>
    public bool PipelinedSync { get; set; } = true;

    /// <summary>
    /// How often a background thread copies committed WAL pages into the database file. Zero leaves
    /// checkpoints to SQLite, which runs them inside a commit on the writer thread every 1,000 pages:
    /// every write then waited for the checkpoint's fsync of the database file, which capped the hub
    /// at ~500 sends/s on a disk where the same hub without those fsyncs did ~740/s.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// With background checkpoints: WAL pages after which the writer checkpoints itself (copying only what
    /// the background pass has not) so that the WAL starts over instead of growing without end.
    /// </summary>
    [Range(16, int.MaxValue)]
    public int CheckpointRestartPages { get; set; } = 8192;

    /// <summary>
    /// Key prefixes whose large values go to append-only segment files (<c>values/</c> in the data
    /// directory) instead of the SQLite file; only a reference passes through the writer. Meant for
    /// values written once and rarely deleted — the storage service's content-addressed chunks
    /// (<c>chunk/</c>, the default): the space of a value deleted or overwritten is not reclaimed.
    /// The prefix "" sends every large value to the segments. Prefixes set in configuration add to the
    /// default (the configuration binder appends to arrays); to keep every value in SQLite set
    /// <see cref="ValueLogMinBytes"/> to <see cref="int.MaxValue"/>.
    /// </summary>
#pragma warning disable CA1819 // Bound from configuration as a list.
    public string[] ValueLogPrefixes { get; set; } = ["chunk/"];
#pragma warning restore CA1819

    /// <summary>Smallest value, in bytes, that goes to the segment files (smaller ones stay inline in SQLite).</summary>
    [Range(1, int.MaxValue)]
    public int ValueLogMinBytes { get; set; } = 4096;

    /// <summary>Size after which a new value segment file is started.</summary>
    [Range(1L << 20, long.MaxValue)]
    public long ValueSegmentBytes { get; set; } = 1L << 30;

    /// <summary>Most write requests applied in one SQLite transaction (one fsync).</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 1024;

    /// <summary>Approximate byte budget of one group commit; a single larger write still goes alone.</summary>
    [Range(1, int.MaxValue)]
    public int MaxBatchBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Write requests that may wait for the writer before callers are held back.</summary>
    [Range(1, 1_000_000)]
    public int WriteQueueCapacity { get; set; } = 16_384;

    /// <summary>How long a connection waits on a locked database before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Handlers of one consumer group on one topic that may run at the same time.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentDeliveries { get; set; } = 16;

    /// <summary>
    /// Claimed but unacknowledged events (running or waiting for a retry) per consumer group and
    /// topic; beyond it the group stops taking new events until some are settled.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxPendingDeliveries { get; set; } = 1024;

    /// <summary>
    /// Safety-net poll of the outbox. Publishes in this process wake the dispatcher at once; the
    /// poll only matters for rows another tool wrote into the file.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long delivered events stay in the outbox after every known consumer group has settled
    /// them. A consumer group that appears later starts at the oldest retained event.
    /// </summary>
    public TimeSpan OutboxRetention { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>SQLite <c>PRAGMA synchronous</c> levels.</summary>
public enum SqliteSynchronous
{
    /// <summary>No fsync: fast, loses recent commits on power loss and may corrupt on OS crash.</summary>
    Off,
    /// <summary>fsync at checkpoints only: durable against process crashes, not power loss.</summary>
    Normal,
    /// <summary>fsync the WAL at every commit: durable against power loss.</summary>
    Full,
    /// <summary>Like <see cref="Full"/>, plus fsync of the directory after WAL resets.</summary>
    Extra,
}
