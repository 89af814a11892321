using System.Diagnostics;
using BenchmarkDotNet.Running;
using Mesh.Benchmarks.Audit;

if (args.Length > 0 && args[0] == "--quick")
{
    // A plain stopwatch run for a fast look; the figures in RESULTS-audit.md come from BenchmarkDotNet.
    var total = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
    var storeKind = args.Length > 2 ? args[2] : "memory";
    await using var fixture = await AppendFixture.StartAsync(storeKind, 4096, TimeSpan.FromMilliseconds(2));
    var events = AppendFixture.Events(0, total);
    var watch = Stopwatch.StartNew();
    await fixture.AppendAllAsync(events);
    watch.Stop();
    Console.WriteLine($"{storeKind}: {total} appends in {watch.Elapsed.TotalMilliseconds:F0} ms = {total / watch.Elapsed.TotalSeconds:F0}/s");
    const int proofs = 5000;
    var latencies = new double[proofs];
    for (var i = 0; i < proofs; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await fixture.Reader.GetInclusionProofAsync((i * 7_919L) % total, total);
        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    Array.Sort(latencies);
    Console.WriteLine($"{storeKind}: inclusion proof at {total} entries over {proofs} proofs: median {latencies[proofs / 2]:F0} µs, p99 {latencies[proofs * 99 / 100]:F0} µs");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(AppendBenchmarks).Assembly).Run(args);
