using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Grpc.Net.Client;
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

// Usage: dotnet run -c Release --project bench/Mesh.Benchmarks.Storage -- [size MiB, default 1024] [data dir]
var sizeMiB = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1024;
var size = sizeMiB * 1024L * 1024;
var dataDirectory = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), $"mesh-bench-storage-{Environment.ProcessId}");
Directory.CreateDirectory(dataDirectory);

try
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
    builder.Services.AddSingleton<IStateStore>(new FileStateStore(Path.Combine(dataDirectory, "state")));
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
    Console.WriteLine($"StorageService on Kestrel {address} (h2c, loopback); store: FileStateStore in {dataDirectory}");

    // JIT, thread pool, HTTP/2 connection and pools: once per process, not per blob.
    await PutAsync(remote, 16L * 1024 * 1024, seed: 7);
    await GetAsync(remote, (await PutAsync(local, 16L * 1024 * 1024, seed: 8)).Blob);

    var baseline = await BaselineAsync(size, Path.Combine(dataDirectory, "baseline.bin"));
    var readBaseline = await ReadBaselineAsync(Path.Combine(dataDirectory, "baseline.bin"), size);
    File.Delete(Path.Combine(dataDirectory, "baseline.bin"));
    Report("baseline: SHA-256 + file write", size, baseline, null);
    Report("baseline: file read + SHA-256", size, readBaseline, null);

    var grpcPut = await MeasureAsync(() => PutAsync(remote, size, seed: 42));
    Report("gRPC PutBlob (Kestrel loopback)", size, grpcPut.Elapsed, grpcPut.Memory, baseline);
    var grpcGet = await MeasureAsync(() => GetAsync(remote, grpcPut.Result.Blob));
    Report("gRPC GetBlob (Kestrel loopback)", size, grpcGet.Elapsed, grpcGet.Memory, baseline);

    // Same store, no gRPC: what the all-in-one hub pays.
    var localPut = await MeasureAsync(() => PutAsync(local, size, seed: 43));
    Report("in-process put (ChunkedBlobStore)", size, localPut.Elapsed, localPut.Memory, baseline);
    var localGet = await MeasureAsync(() => GetAsync(local, localPut.Result.Blob));
    Report("in-process get (ChunkedBlobStore)", size, localGet.Elapsed, localGet.Memory, baseline);

    Console.WriteLine($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
    await app.StopAsync();
}
finally
{
    Directory.Delete(dataDirectory, recursive: true);
}

static async Task<BlobPutResult> PutAsync(IBlobStorage storage, long size, ulong seed)
{
    var expected = await HashOfGeneratedAsync(size, seed);
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

// The expected digest is computed before timing starts so that the put is not charged for it.
static async Task<Sha256Hash> HashOfGeneratedAsync(long size, ulong seed)
{
    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    await foreach (var segment in Generate(size, seed))
    {
        hash.AppendData(segment.Span);
    }

    return Sha256Hash.FromBytes(hash.GetHashAndReset());
}

static async Task<TimeSpan> BaselineAsync(long size, string path)
{
    var stopwatch = Stopwatch.StartNew();
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
    return stopwatch.Elapsed;
}

static async Task<TimeSpan> ReadBaselineAsync(string path, long size)
{
    var stopwatch = Stopwatch.StartNew();
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

    return total == size ? stopwatch.Elapsed : throw new InvalidOperationException("Short read.");
}

static async Task<(T Result, TimeSpan Elapsed, MemoryUse Memory)> MeasureAsync<T>(Func<Task<T>> run)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    ResetPeakRss();
    var before = ProcStatus("VmRSS");
    var stopwatch = Stopwatch.StartNew();
    var result = await run();
    var elapsed = stopwatch.Elapsed;
    return (result, elapsed, new MemoryUse(before, ProcStatus("VmHWM")));
}

static void Report(string name, long size, TimeSpan elapsed, MemoryUse? memory, TimeSpan? baseline = null)
{
    var mibPerSecond = size / 1048576.0 / elapsed.TotalSeconds;
    var ratio = baseline is { } b ? $" | {b.TotalSeconds / elapsed.TotalSeconds:0.00}× of baseline" : string.Empty;
    var rss = memory is { } m ? $" | RSS before {m.BeforeKiB / 1024.0:0.0} MiB, peak {m.PeakKiB / 1024.0:0.0} MiB, growth {(m.PeakKiB - m.BeforeKiB) / 1024.0:0.0} MiB" : string.Empty;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {elapsed.TotalSeconds:0.00} s, {mibPerSecond:0} MiB/s{ratio}{rss}"));
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
