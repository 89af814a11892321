using BenchmarkDotNet.Attributes;
using Mesh.Audit;
using Mesh.Backends.Embedded;
using Mesh.State;
using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;
using Mesh.Audit.Testing;
using Mesh.Auditing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Benchmarks.Audit;

/// <summary>A running sequencer over a fresh store: "memory" (the tests' in-memory store) or "sqlite" (Embedded, synchronous=FULL, in a temp directory).</summary>
public sealed class AppendFixture : IAsyncDisposable
{
    private readonly string? _temporaryDirectory;

    private AppendFixture(IStateStore store, AuditSequencer sequencer, AuditLogReader reader, string? temporaryDirectory)
    {
        Store = store;
        Sequencer = sequencer;
        Reader = reader;
        _temporaryDirectory = temporaryDirectory;
    }

    public IStateStore Store { get; }

    public AuditSequencer Sequencer { get; }

    public AuditLogReader Reader { get; }

    /// <param name="keptDirectory">For "sqlite": a directory kept after the run (a log built once and reused), instead of a temporary one.</param>
    public static async Task<AppendFixture> StartAsync(string storeKind, int maxBatchSize, TimeSpan batchDelay, string? keptDirectory = null)
    {
        string? temporary = null;
        IStateStore store;
        if (storeKind == "sqlite")
        {
            var directory = keptDirectory ?? (temporary = Directory.CreateTempSubdirectory("mesh-audit-bench-").FullName);
            store = SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = directory, Synchronous = SqliteSynchronous.Full });
        }
        else
        {
            store = new InMemoryStateStore();
        }

        var options = Microsoft.Extensions.Options.Options.Create(new AuditOptions
        {
            Origin = "mesh.bench/audit",
            MaxBatchSize = maxBatchSize,
            BatchDelay = batchDelay,
            MaxPendingAppends = 1_000_000,
        });
        var sequencer = new AuditSequencer(store, NoteSigner.Generate("mesh.bench/audit"), options, TimeProvider.System, NullLogger<AuditSequencer>.Instance);
        await sequencer.StartAsync(CancellationToken.None);
        return new AppendFixture(store, sequencer, new AuditLogReader(store, options, sequencer), temporary);
    }

    public static AuditEvent[] Events(int start, int count)
    {
        var agencies = Enumerable.Range(0, 100).Select(i => $"000.00.{i:D2}.G01").ToArray();
        var day = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
        return [.. Enumerable.Range(start, count).Select(i => new AuditEvent
        {
            Type = (i % 4) switch { 0 => AuditEventTypes.DocumentAccepted, 1 => AuditEventTypes.DeliveryCreated, 2 => AuditEventTypes.StatusReported, _ => AuditEventTypes.DocumentRefused },
            Time = day.AddMilliseconds(i),
            Actor = agencies[i % agencies.Length],
            DocumentId = $"{agencies[i % agencies.Length]},2026/11/30,{i}/VB",
            Counterparts = [agencies[(i + 1) % agencies.Length]],
            Digests = [Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))],
            Outcome = i % 4 == 3 ? "SIGNATURE_INVALID" : AuditEvent.OutcomeOk,
            TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        })];
    }

    /// <summary>Appends from many concurrent callers, as the routing service does, and waits for every index.</summary>
    public async Task AppendAllAsync(AuditEvent[] events)
    {
        var tasks = new Task<AppendResult>[events.Length];
        for (var i = 0; i < events.Length; i++)
        {
            tasks[i] = Sequencer.AppendAsync(events[i]);
        }

        await Task.WhenAll(tasks);
    }

    public async ValueTask DisposeAsync()
    {
        await Sequencer.StopAsync(CancellationToken.None);
        Sequencer.Dispose();
        if (Store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        if (_temporaryDirectory is not null)
        {
            Directory.Delete(_temporaryDirectory, recursive: true);
        }
    }
}

/// <summary>Appends per second through the batching sequencer (in-memory store: measures the log engine, not disk).</summary>
[MemoryDiagnoser]
public class AppendBenchmarks
{
    private const int AppendsPerInvocation = 20_000;
    private AppendFixture _fixture = null!;
    private AuditEvent[] _events = [];
    private int _round;

    [Params("memory", "sqlite")]
    public string Store { get; set; } = "memory";

    [Params(4096)]
    public int MaxBatchSize { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _fixture = await AppendFixture.StartAsync(Store, MaxBatchSize, TimeSpan.FromMilliseconds(2));
    }

    [IterationSetup]
    public void PrepareEvents() => _events = AppendFixture.Events(_round++ * AppendsPerInvocation, AppendsPerInvocation);

    [Benchmark(OperationsPerInvoke = AppendsPerInvocation)]
    public Task Append() => _fixture.AppendAllAsync(_events);

    [GlobalCleanup]
    public async Task CleanupAsync() => await _fixture.DisposeAsync();
}

/// <summary>Inclusion-proof latency from the stored tiles at 1,000,000 entries.</summary>
public class InclusionProofBenchmarks
{
    private const int Size = 1_000_000;
    private AppendFixture _fixture = null!;
    private long _next;

    [Params("memory", "sqlite")]
    public string Store { get; set; } = "memory";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        // BenchmarkDotNet runs every case in its own process: the SQLite log is built once, then reopened
        // ("v2": the posting-list index layout; delete the directory after changing the layout).
        var kept = Store == "sqlite" ? Path.Combine(Path.GetTempPath(), "mesh-audit-bench-1m-v2") : null;
        _fixture = await AppendFixture.StartAsync(Store, 8192, TimeSpan.FromMilliseconds(2), kept);
        for (var start = (int)await _fixture.Reader.GetSizeAsync(); start < Size; start += 100_000)
        {
            await _fixture.AppendAllAsync(AppendFixture.Events(start, Math.Min(100_000, Size - start)));
        }
    }

    [Benchmark]
    public async Task<int> InclusionProof()
    {
        // Spread over the whole tree so the full-tile cache does not make every call a hit.
        _next = (_next + 7_919) % Size;
        var proof = await _fixture.Reader.GetInclusionProofAsync(_next, Size);
        return proof.Hashes.Count;
    }

    [Benchmark]
    public async Task<int> ConsistencyProof()
    {
        _next = (_next + 7_919) % Size;
        var proof = await _fixture.Reader.GetConsistencyProofAsync(_next + 1, Size);
        return proof.Hashes.Count;
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _fixture.DisposeAsync();
}
