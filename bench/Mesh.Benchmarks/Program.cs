using BenchmarkDotNet.Running;
using Mesh.Benchmarks;

BenchmarkSwitcher.FromAssembly(typeof(RegistryLookupBenchmarks).Assembly).Run(args);
