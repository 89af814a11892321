using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Mesh.Backends.Embedded;

/// <summary>
/// Append-only segment files beside the SQLite file for large values written once (the storage
/// service's content-addressed chunks): the bytes are written and fsynced here, and only a
/// <see cref="ValueRef"/> of 25 bytes goes through the writer thread into SQLite.
/// </summary>
/// <remarks>
/// Inside SQLite a 20 KB chunk is written twice (WAL frames, then the database file at checkpoint),
/// checksummed page by page, and every byte of it passes through the single writer thread, whose
/// wall time bounds the whole hub's send rate. Here the caller's thread writes it once with one
/// <c>pwrite</c>, concurrently with other callers; one fsync covers every value appended since the
/// last one (group sync, its own thread).
/// <para>
/// Ordering: a reference is committed into SQLite only after the fsync that covers its bytes has
/// returned (<see cref="WhenSyncedAsync"/>), so no commit — not even one that a checkpoint copied into
/// the database file before its caller was answered — can point at bytes a power loss could take back.
/// Bytes appended for a write that then failed, or never committed, are unreachable; so are the old
/// bytes of a value deleted or overwritten. Segments are not compacted yet: that space is not reclaimed.
/// Every reference carries the XxHash3 of its bytes, checked on every read.
/// </para>
/// </remarks>
internal sealed partial class ValueLog : IDisposable
{
    /// <summary>Subdirectory of the data directory holding the segment files.</summary>
    public const string DirectoryName = EmbeddedOptions.ValueDirectoryName;

    private const string Extension = ".seg";

    private readonly string directory;
    private readonly long segmentBytes;
    private readonly bool sync;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<uint, Lazy<FileStream?>> segments = new();
    private readonly object appendLock = new();
    private readonly object syncLock = new();
    private readonly List<(uint Segment, TaskCompletionSource Done)> waiting = [];
    private readonly Thread? syncer;
    private uint current;
    private long end = -1;
    private bool stopping;
    private Exception? fault;
    private int disposed;

    public ValueLog(string dataDirectory, long segmentBytes, bool sync, ILogger logger)
    {
        directory = Path.Combine(dataDirectory, DirectoryName);
        this.segmentBytes = segmentBytes;
        this.sync = sync;
        this.logger = logger;
        if (sync)
        {
            syncer = new Thread(RunSyncer) { IsBackground = true, Name = "Mesh.Embedded.ValueSyncer" };
            syncer.Start();
        }
    }

    /// <summary>Tests only: runs on the sync thread before each fsync (a test holds it to observe a write waiting for its bytes).</summary>
    internal Action? BeforeSync { get; set; }

    /// <summary>Directory of the segment files.</summary>
    public string Directory => directory;

    /// <summary>
    /// Writes <paramref name="value"/> at the end of the current segment and returns where it is. The
    /// bytes are in the page cache, not yet on disk: commit the reference only after <see cref="WhenSyncedAsync"/>.
    /// </summary>
    public ValueRef Append(ReadOnlySpan<byte> value)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (Volatile.Read(ref fault) is { } failed)
        {
            throw DurablePosition.NotDurable(failed);
        }

        var hash = XxHash3.HashToUInt64(value);
        uint segment;
        long offset;
        lock (appendLock)
        {
            if (end < 0 || (end > 0 && end + value.Length > segmentBytes))
            {
                Roll();
            }

            segment = current;
            offset = end;
            end += value.Length;
        }

        // Outside the lock: concurrent appends write disjoint ranges of the same file.
        RandomAccess.Write(Segment(segment).SafeFileHandle, value, offset);
        EmbeddedTelemetry.ValueBytes.Add(value.Length);
        return new ValueRef(segment, offset, value.Length, hash);
    }

    /// <summary>Completes once an fsync that began after <paramref name="reference"/> was appended has returned.</summary>
    public Task WhenSyncedAsync(ValueRef reference)
    {
        if (!sync)
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (syncLock)
        {
            if (fault is { } failed)
            {
                return Task.FromException(DurablePosition.NotDurable(failed));
            }

            ObjectDisposedException.ThrowIf(stopping, this);
            waiting.Add((reference.Segment, done));
            Monitor.Pulse(syncLock);
        }

        return done.Task;
    }

    /// <summary>Reads the bytes <paramref name="reference"/> points at; <see cref="InvalidDataException"/> when they are missing or not the ones written.</summary>
    public byte[] Read(ValueRef reference)
    {
        var file = Segment(reference.Segment, mustExist: true);
        var buffer = GC.AllocateUninitializedArray<byte>(reference.Length);
        var read = 0;
        while (read < buffer.Length)
        {
            var n = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan(read), reference.Offset + read);
            if (n == 0)
            {
                throw new InvalidDataException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Value segment {SegmentName(reference.Segment)} ends before offset {reference.Offset + reference.Length}: the value is lost."));
            }

            read += n;
        }

        if (XxHash3.HashToUInt64(buffer) != reference.Hash)
        {
            throw new InvalidDataException(string.Create(
                CultureInfo.InvariantCulture,
                $"The {reference.Length} bytes at offset {reference.Offset} of value segment {SegmentName(reference.Segment)} do not match their checksum: the value is corrupted."));
        }

        return buffer;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        lock (syncLock)
        {
            stopping = true;
            Monitor.Pulse(syncLock);
        }

        syncer?.Join();
        foreach (var segment in segments.Values)
        {
            if (segment.IsValueCreated)
            {
                segment.Value?.Dispose();
            }
        }
    }

    private static string SegmentName(uint segment) => segment.ToString("D8", CultureInfo.InvariantCulture) + Extension;

    /// <summary>Under the append lock: continues the last segment after a restart, or starts a new one.</summary>
    private void Roll()
    {
        if (end < 0)
        {
            System.IO.Directory.CreateDirectory(directory);
            var last = System.IO.Directory.EnumerateFiles(directory, "*" + Extension)
                .Select(path => uint.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0u)
                .DefaultIfEmpty(0u)
                .Max();
            if (last > 0)
            {
                // Appends after a restart go after whatever the last run wrote, committed or not: offsets are never reused.
                current = last;
                end = Segment(last).Length;
                if (end < segmentBytes)
                {
                    return;
                }
            }
        }

        var next = current + 1;
        var path = Path.Combine(directory, SegmentName(next));
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        var opened = new Lazy<FileStream?>(() => stream);
        _ = opened.Value;
        segments[next] = opened;

        // The new file's name must survive a power loss as well as its bytes: fsync the directory once per segment.
        SyncDirectory(directory);
        SyncDirectory(Path.GetDirectoryName(directory)!);
        current = next;
        end = 0;
        Log.ValueSegmentStarted(logger, path);
    }

    private FileStream Segment(uint segment, bool mustExist = false)
    {
        var lazy = segments.GetOrAdd(segment, id => new Lazy<FileStream?>(() =>
        {
            var path = Path.Combine(directory, SegmentName(id));
            return File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0) : null;
        }));
        return lazy.Value ?? throw new InvalidDataException(
            string.Create(CultureInfo.InvariantCulture, $"Value segment {SegmentName(segment)} is missing from {directory}{(mustExist ? ": the value is lost" : string.Empty)}."));
    }

    /// <summary>
    /// The sync thread: takes every waiting caller, fsyncs each segment they appended to, answers them.
    /// A failed fsync fails them and every later append: the kernel may have dropped the pages it
    /// could not write, so no later fsync could vouch for them.
    /// </summary>
    private void RunSyncer()
    {
        var batch = new List<(uint Segment, TaskCompletionSource Done)>();
        var files = new HashSet<uint>();
        while (true)
        {
            lock (syncLock)
            {
                while (waiting.Count == 0 && !stopping)
                {
                    Monitor.Wait(syncLock);
                }

                if (waiting.Count == 0)
                {
                    return;
                }

                batch.AddRange(waiting);
                waiting.Clear();
            }

            BeforeSync?.Invoke();
            var started = Stopwatch.GetTimestamp();
            Exception? failure = null;
            try
            {
                files.Clear();
                foreach (var (segment, _) in batch)
                {
                    if (files.Add(segment))
                    {
                        Segment(segment).Flush(flushToDisk: true);
                    }
                }

                EmbeddedTelemetry.ValueSyncDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                Log.SyncFailed(logger, directory, exception);
                failure = exception;
                lock (syncLock)
                {
                    fault ??= exception;
                }
            }

            foreach (var (_, done) in batch)
            {
                if (failure is null)
                {
                    done.TrySetResult();
                }
                else
                {
                    done.TrySetException(DurablePosition.NotDurable(failure));
                }
            }

            batch.Clear();
        }
    }

    private static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {path} to fsync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {path} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Close(int fd);
}

/// <summary>Where a value in the <see cref="ValueLog"/> is: segment, offset, length, and the XxHash3 of its bytes.</summary>
internal readonly record struct ValueRef(uint Segment, long Offset, int Length, ulong Hash)
{
    /// <summary>Size of <see cref="Encode"/>'s output.</summary>
    public const int EncodedLength = 25;

    private const byte Format = 1;

    public byte[] Encode()
    {
        var bytes = new byte[EncodedLength];
        bytes[0] = Format;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(1), Segment);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(5), Offset);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(13), Length);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(17), Hash);
        return bytes;
    }

    public static ValueRef Decode(ReadOnlySpan<byte> bytes) =>
        bytes.Length == EncodedLength && bytes[0] == Format
            ? new ValueRef(
                BinaryPrimitives.ReadUInt32LittleEndian(bytes[1..]),
                BinaryPrimitives.ReadInt64LittleEndian(bytes[5..]),
                BinaryPrimitives.ReadInt32LittleEndian(bytes[13..]),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[17..]))
            : throw new InvalidDataException($"A stored value reference of {bytes.Length} bytes is not in a known format: the row is corrupted.");
}
