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
    var probe = Stopwatch.StartNew();
    const int proofs = 2000;
    for (var i = 0; i < proofs; i++)
    {
        await fixture.Reader.GetInclusionProofAsync((i * 7_919L) % total, total);
    }

    Console.WriteLine($"{storeKind}: inclusion proof at {total} entries: {probe.Elapsed.TotalMilliseconds * 1000 / proofs:F0} µs mean over {proofs}");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(AppendBenchmarks).Assembly).Run(args);
