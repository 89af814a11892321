using System.Diagnostics;
using BenchmarkDotNet.Running;
using Mesh.Benchmarks.Audit;

if (args.Length > 0 && args[0] == "--quick")
{
    // A plain stopwatch run for a fast look; the figures in RESULTS-audit.md come from BenchmarkDotNet.
    var total = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
    await using var fixture = await AppendFixture.StartAsync(4096, TimeSpan.FromMilliseconds(2));
    var events = AppendFixture.Events(0, total);
    var watch = Stopwatch.StartNew();
    await fixture.AppendAllAsync(events);
    watch.Stop();
    Console.WriteLine($"{total} appends in {watch.Elapsed.TotalMilliseconds:F0} ms = {total / watch.Elapsed.TotalSeconds:F0}/s");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(AppendBenchmarks).Assembly).Run(args);
