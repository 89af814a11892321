using System.Globalization;
using BenchmarkDotNet.Attributes;
using Mesh.Backends.Embedded;
using Mesh.State;

namespace Mesh.Benchmarks;

/// <summary>
/// The embedded state store on a real file with synchronous=FULL: every write that returns has been
/// fsynced. Sequential writes pay one fsync each; 64 concurrent writers share group commits.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class EmbeddedStateStoreBenchmarks
{
    private const int Keys = 10_000;
    private const int InFlight = 64;
    private readonly byte[] value = new byte[256];
    private string directory = "";
    private SqliteStateStore store = null!;
    private int next;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        directory = Path.Combine(Path.GetTempPath(), "mesh-bench-" + Guid.NewGuid().ToString("N"));
        Random.Shared.NextBytes(value);
        store = SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = directory, Synchronous = SqliteSynchronous.Full });
        for (var start = 0; start < Keys; start += 1000)
        {
            await store.TransactAsync([.. Enumerable.Range(start, 1000).Select(i => StateOperation.Upsert(Key(i), value))]);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    private static string Key(int i) => "bench/doc/" + i.ToString("D6", CultureInfo.InvariantCulture);

    private string NextKey() => Key(Interlocked.Increment(ref next) % Keys);

    /// <summary>Point read through a pooled WAL read connection.</summary>
    [Benchmark]
    public ValueTask<StateItem?> Get() => store.GetAsync(NextKey());

    /// <summary>One durable write at a time: latency of a commit with its fsync.</summary>
    [Benchmark]
    public ValueTask<string> Set() => store.SetAsync(NextKey(), value);

    /// <summary>Four upserts, all or nothing, with one ETag precondition.</summary>
    [Benchmark]
    public async Task<IReadOnlyList<string>> Transact4Keys()
    {
        var first = NextKey();
        var current = await store.GetAsync(first);
        return await store.TransactAsync(
        [
            StateOperation.Upsert(first, value, current!.ETag),
            StateOperation.Upsert(NextKey(), value),
            StateOperation.Upsert(NextKey(), value),
            StateOperation.Upsert(NextKey(), value),
        ]);
    }

    /// <summary>64 writers in flight; reported per write, so it compares directly with <see cref="Set"/>.</summary>
    [Benchmark(OperationsPerInvoke = InFlight)]
    public Task ConcurrentSets64()
    {
        var writes = new Task[InFlight];
        for (var i = 0; i < InFlight; i++)
        {
            writes[i] = store.SetAsync(NextKey(), value).AsTask();
        }

        return Task.WhenAll(writes);
    }
}
