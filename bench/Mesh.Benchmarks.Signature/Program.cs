using BenchmarkDotNet.Running;
using Mesh.Benchmarks.Signature;

if (args.Length > 0 && args[0] == "--profile")
{
    Profile.Run();
    return;
}

if (args.Length > 0 && args[0] == "--paired")
{
    PairedRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 21);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(CmsVerificationBenchmarks).Assembly).Run(args);
