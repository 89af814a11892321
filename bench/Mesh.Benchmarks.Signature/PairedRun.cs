using System.Diagnostics;
using System.Globalization;

namespace Mesh.Benchmarks.Signature;

/// <summary>
/// Interleaved A/B measurement: each round runs the bare verification and the CMS path for the same
/// short slice, back to back, so machine load that drifts between rounds cancels out in the per-round
/// ratio. Reported next to BenchmarkDotNet because the shared build machine is heavily loaded.
/// </summary>
internal static class PairedRun
{
    public static void Run(int rounds)
    {
        var b = new CmsVerificationBenchmarks();
        b.Setup();
        Report("ECDSA P-256", rounds, b.BareEcdsa, b.CmsWarmEcdsa, b.CmsColdEcdsa);
        Report("RSA-2048", rounds, b.BareRsa, b.CmsWarmRsa, b.CmsColdRsa);
    }

    private static void Report(string name, int rounds, Func<bool> bare, Func<bool> warm, Func<bool> cold)
    {
        var slice = TimeSpan.FromMilliseconds(150);
        Throughput(bare, slice);
        Throughput(warm, slice);
        Throughput(cold, slice);
        var bareOps = new List<double>();
        var warmOps = new List<double>();
        var coldOps = new List<double>();
        var warmRatios = new List<double>();
        var coldRatios = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var x = Throughput(bare, slice);
            var y = Throughput(warm, slice);
            var z = Throughput(cold, slice);
            bareOps.Add(x);
            warmOps.Add(y);
            coldOps.Add(z);
            warmRatios.Add(y / x);
            coldRatios.Add(z / x);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name} (per thread CPU-second): bare {Median(bareOps):F0} op/s, CMS warm {Median(warmOps):F0} op/s, CMS cold {Median(coldOps):F0} op/s; " +
            $"median per-round ratio warm/bare {Median(warmRatios):P1} (min {warmRatios.Min():P1}, max {warmRatios.Max():P1}), cold/bare {Median(coldRatios):P1} over {rounds} rounds"));
    }

    // Operations per second of this thread's CPU time (clock_gettime CLOCK_THREAD_CPUTIME_ID): on an
    // oversubscribed machine wall time mostly measures the scheduler; thread CPU time measures the work.
    private static double Throughput(Func<bool> action, TimeSpan slice)
    {
        var count = 0;
        var cpu = ThreadCpuSeconds();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < slice)
        {
            if (!action())
            {
                throw new InvalidOperationException("verification failed during measurement");
            }

            count++;
        }

        return count / (ThreadCpuSeconds() - cpu);
    }

    private static double ThreadCpuSeconds()
    {
        if (NativeMethods.clock_gettime(3, out var ts) != 0)
        {
            throw new InvalidOperationException("clock_gettime failed");
        }

        return ts.Seconds + (ts.Nanoseconds / 1e9);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}

internal static partial class NativeMethods
{
    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = false)]
    internal static partial int clock_gettime(int clockId, out TimeSpec time);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    internal struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
