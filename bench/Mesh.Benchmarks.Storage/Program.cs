using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Grpc.Net.Client;
using Mesh.Backends.Embedded;
using Mesh.Benchmarks.Storage;
using Mesh.Contracts.Storage.V1;
using Mesh.State;
using Mesh.Storage;
using Mesh.Storage.Domain;
using Mesh.Storage.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using BlobInfo = Mesh.Storage.Domain.BlobInfo;

// Usage: dotnet run -c Release --project bench/Mesh.Benchmarks.Storage -- [--size-mib 1024] [--dir DIR] [--store file|sqlite] [--window-kib N]
var sizeMiB = int.Parse(Option("--size-mib") ?? "1024", CultureInfo.InvariantCulture);
var size = sizeMiB * 1024L * 1024;
var dataDirectory = Option("--dir") ?? Path.Combine(Path.GetTempPath(), $"mesh-bench-storage-{Environment.ProcessId}");
var storeKind = Option("--store") ?? "file";
var windowKiB = Option("--window-kib") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : (int?)null;
Directory.CreateDirectory(dataDirectory);

try
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(kestrel =>
    {
        if (windowKiB is { } window)
        {
            // Kestrel's defaults (768 KiB stream, 1 MiB connection) are below one 1 MiB data message.
            kestrel.Limits.Http2.InitialStreamWindowSize = window * 1024;
            kestrel.Limits.Http2.InitialConnectionWindowSize = 2 * window * 1024;
        }

        kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
    });
    await using var sqlite = storeKind == "sqlite" ? SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = Path.Combine(dataDirectory, "state") }) : null;
    builder.Services.AddSingleton<IStateStore>(sqlite is null ? new FileStateStore(Path.Combine(dataDirectory, "state")) : sqlite);
    builder.Services.AddGrpc();
    builder.Services.AddMeshStorage(builder.Configuration);
    await using var app = builder.Build();
    app.MapMeshStorage();
    await app.StartAsync();
    var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler() });
    var remote = new GrpcBlobStorage(new StorageService.StorageServiceClient(channel));
    var local = app.Services.GetRequiredService<IBlobStorage>();

    Console.WriteLine($"# Storage benchmark: {sizeMiB} MiB, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}");
    Console.WriteLine($"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine($"StorageService on Kestrel {address} (h2c, loopback, HTTP/2 stream window {(windowKiB is { } k ? $"{k} KiB" : "Kestrel default")}); store: {(sqlite is null ? "FileStateStore (bench, file per key)" : "embedded SqliteStateStore (synchronous=Full)")} in {dataDirectory}");
    Console.WriteLine($"GC: LOH threshold {AppContext.GetData("System.GC.LOHThreshold") ?? "default"} bytes");

    // JIT, thread pool, HTTP/2 connection and pools: once per process, not per blob.
    await PutAsync(remote, 16L * 1024 * 1024, seed: 7, await HashOfGeneratedAsync(16L * 1024 * 1024, seed: 7));
    await GetAsync(remote, (await PutAsync(local, 16L * 1024 * 1024, seed: 8, await HashOfGeneratedAsync(16L * 1024 * 1024, seed: 8))).Blob);

    var baseline = await MeasureAsync(() => BaselineAsync(size, Path.Combine(dataDirectory, "baseline.bin")));
    var readBaseline = await MeasureAsync(() => ReadBaselineAsync(Path.Combine(dataDirectory, "baseline.bin"), size));
    File.Delete(Path.Combine(dataDirectory, "baseline.bin"));
    Report("baseline: SHA-256 + file write", size, baseline.Elapsed, baseline.Cpu, baseline.Memory);
    Report("baseline: file read + SHA-256", size, readBaseline.Elapsed, readBaseline.Cpu, readBaseline.Memory);

    var expected42 = await HashOfGeneratedAsync(size, seed: 42);
    var grpcPut = await MeasureAsync(() => PutAsync(remote, size, seed: 42, expected42));
    Report("gRPC PutBlob (Kestrel loopback)", size, grpcPut.Elapsed, grpcPut.Cpu, grpcPut.Memory, (baseline.Elapsed, baseline.Cpu));
    var grpcGet = await MeasureAsync(() => GetAsync(remote, grpcPut.Result.Blob));
    Report("gRPC GetBlob (Kestrel loopback)", size, grpcGet.Elapsed, grpcGet.Cpu, grpcGet.Memory, (baseline.Elapsed, baseline.Cpu));

    // Same store, no gRPC: what the all-in-one hub pays.
    var expected43 = await HashOfGeneratedAsync(size, seed: 43);
    var localPut = await MeasureAsync(() => PutAsync(local, size, seed: 43, expected43));
    Report("in-process put (ChunkedBlobStore)", size, localPut.Elapsed, localPut.Cpu, localPut.Memory, (baseline.Elapsed, baseline.Cpu));
    var localGet = await MeasureAsync(() => GetAsync(local, localPut.Result.Blob));
    Report("in-process get (ChunkedBlobStore)", size, localGet.Elapsed, localGet.Cpu, localGet.Memory, (baseline.Elapsed, baseline.Cpu));

    Console.WriteLine($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
    await app.StopAsync();
}
finally
{
    Directory.Delete(dataDirectory, recursive: true);
}

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

static async Task<BlobPutResult> PutAsync(IBlobStorage storage, long size, ulong seed, Sha256Hash expected)
{
    var result = await storage.PutAsync(Generate(size, seed), new BlobPutRequest("application/octet-stream") { ExpectedSize = size, ExpectedSha256 = expected });
    return result.Blob.Id == expected ? result : throw new InvalidOperationException("The stored digest is not the content's.");
}

static async Task<long> GetAsync(IBlobStorage storage, BlobInfo blob)
{
    await using var read = await storage.OpenReadAsync(blob.Id);
    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    long received = 0;
    await foreach (var segment in read.Content)
    {
        hash.AppendData(segment.Span);
        received += segment.Length;
    }

    return received == blob.Size && Sha256Hash.FromBytes(hash.GetHashAndReset()) == blob.Id
        ? received
        : throw new InvalidOperationException("The content read back is not the content stored.");
}

// The expected digest is computed before timing starts (callers pass it in) so that the put is not charged for it.
static async Task<Sha256Hash> HashOfGeneratedAsync(long size, ulong seed)
{
    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    await foreach (var segment in Generate(size, seed))
    {
        hash.AppendData(segment.Span);
    }

    return Sha256Hash.FromBytes(hash.GetHashAndReset());
}

static async Task<bool> BaselineAsync(long size, string path)
{
    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous))
    {
        await foreach (var segment in Generate(size, seed: 42))
        {
            hash.AppendData(segment.Span);
            await file.WriteAsync(segment);
        }
    }

    hash.GetHashAndReset();
    return true;
}

static async Task<bool> ReadBaselineAsync(string path, long size)
{
    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    var buffer = new byte[1024 * 1024];
    await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous);
    long total = 0;
    int read;
    while ((read = await file.ReadAsync(buffer)) > 0)
    {
        hash.AppendData(buffer, 0, read);
        total += read;
    }

    return total == size ? true : throw new InvalidOperationException("Short read.");
}

// Wall time and the process's CPU time: on a shared, loaded machine the CPU-time ratio is the steadier one.
static async Task<(T Result, TimeSpan Elapsed, TimeSpan Cpu, MemoryUse Memory)> MeasureAsync<T>(Func<Task<T>> run)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    ResetPeakRss();
    var before = ProcStatus("VmRSS");
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var stopwatch = Stopwatch.StartNew();
    var result = await run();
    var elapsed = stopwatch.Elapsed;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    return (result, elapsed, cpu, new MemoryUse(before, ProcStatus("VmHWM")));
}

static void Report(string name, long size, TimeSpan elapsed, TimeSpan cpu, MemoryUse? memory, (TimeSpan Elapsed, TimeSpan Cpu)? baseline = null)
{
    var mibPerSecond = size / 1048576.0 / elapsed.TotalSeconds;
    var ratio = baseline is { } b
        ? $" | {b.Elapsed.TotalSeconds / elapsed.TotalSeconds:0.00}× of baseline wall throughput, {b.Cpu.TotalSeconds / cpu.TotalSeconds:0.00}× of its CPU efficiency"
        : string.Empty;
    var rss = memory is { } m ? $" | RSS before {m.BeforeKiB / 1024.0:0.0} MiB, peak {m.PeakKiB / 1024.0:0.0} MiB, growth {(m.PeakKiB - m.BeforeKiB) / 1024.0:0.0} MiB" : string.Empty;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {elapsed.TotalSeconds:0.00} s, {mibPerSecond:0} MiB/s, CPU {cpu.TotalSeconds:0.00} s{ratio}{rss}"));
}

// Writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0), so each phase gets its own peak.
static void ResetPeakRss() => File.WriteAllText("/proc/self/clear_refs", "5");

static long ProcStatus(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith(field + ":", StringComparison.Ordinal))
        {
            return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
    }

    throw new InvalidOperationException($"{field} is not in /proc/self/status.");
}

// Pseudo-random bytes (xorshift64) generated into one reused buffer, so the source holds no more than 1 MiB.
static async IAsyncEnumerable<ReadOnlyMemory<byte>> Generate(long size, ulong seed, [EnumeratorCancellation] CancellationToken cancellationToken = default)
{
    const int segmentSize = 1024 * 1024;
    var buffer = new byte[segmentSize];
    var state = seed | 1;
    for (long produced = 0; produced < size; produced += segmentSize)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var words = MemoryMarshal.Cast<byte, ulong>(buffer.AsSpan());
        for (var i = 0; i < words.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            words[i] = state;
        }

        yield return buffer.AsMemory(0, (int)Math.Min(segmentSize, size - produced));
        await Task.CompletedTask;
    }
}

internal readonly record struct MemoryUse(long BeforeKiB, long PeakKiB);
