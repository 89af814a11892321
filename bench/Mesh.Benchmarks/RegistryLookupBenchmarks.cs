using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Mesh.Auditing;
using Mesh.Backends.Embedded;
using Mesh.Identity;
using Mesh.Pki;
using Mesh.Registry.Domain;
using Mesh.Registry.Infrastructure;
using Mesh.Signature;
using ITrustMaterial = Mesh.Signature.Domain.ITrustMaterial;
using ICertificateBindings = Mesh.Signature.Domain.ICertificateBindings;
using Mesh.Signing;
using Mesh.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Benchmarks;

/// <summary>
/// Resolving a caller's client certificate (every call does it): warm through the registry's
/// cache, and cold (a store read of the binding and the agency).
/// </summary>
[MemoryDiagnoser]
public class RegistryLookupBenchmarks
{
    private string directory = "";
    private SqliteStateStore store = null!;
    private CertificateDirectory certificates = null!;
    private AgencyRegistry registry = null!;
    private ServiceProvider engine = null!;
    private string[] thumbprints = [];
    private int next;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        directory = Path.Combine(Path.GetTempPath(), "mesh-bench-registry-" + Guid.NewGuid().ToString("N"));
        store = SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = directory, Synchronous = SqliteSynchronous.Full });
        var feed = new RegistryChangeFeed();
        // Bindings are validated by the signature engine over the registry's trust material, as in the services.
        engine = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddSingleton<IStateStore>(store)
            .AddSingleton(feed)
            .AddSingleton<TrustMaterialReader>()
            .AddSingleton<ITrustMaterial, RegistryTrustMaterial>()
            .AddSingleton<ICertificateBindings, RegistryCertificateBindings>()
            .AddSignatureEngine()
            .BuildServiceProvider();
        registry = new AgencyRegistry(store, engine.GetRequiredService<ICertificateValidator>(), feed, new NoAudit(), TimeProvider.System);
        certificates = new CertificateDirectory(registry, feed);
        using var ca = DevelopmentPki.CreateRootCa("bench CA", TimeSpan.FromDays(30));
        await registry.AddTrustAnchorAsync("ca", ca.RawData, TrustAnchorKind.Root, "bench", Caller.Hub, CancellationToken.None);
        var list = new List<string>();
        for (var i = 1; i <= 200; i++)
        {
            var id = $"000.00.{i / 100:D2}.H{i % 100:D2}";
            await registry.CreateAsync("c" + i, new AgencyDraft(id, null, "Agency " + i, "", Contacts.None), Caller.Hub, CancellationToken.None);
            using var cert = DevelopmentPki.IssueClientCertificate(ca, id, "Agency " + i, TimeSpan.FromDays(30));
            await registry.BindAsync("b" + i, id, cert.RawData, CertificatePurpose.ClientTls, [CallerRole.Agency], [], Caller.Hub, CancellationToken.None);
            list.Add(Convert.ToHexStringLower(SHA256.HashData(cert.RawData)));
        }

        thumbprints = [.. list];
        foreach (var t in thumbprints)
        {
            await certificates.ResolveAsync(t);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await engine.DisposeAsync();
        await store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public ValueTask<CertificateResolution?> ResolveWarm() => certificates.ResolveAsync(thumbprints[next++ % thumbprints.Length]);

    [Benchmark]
    public async Task<CertificateBinding?> ResolveCold()
    {
        var binding = await registry.FindBindingAsync(thumbprints[next++ % thumbprints.Length], CancellationToken.None);
        await registry.FindAsync(binding!.OrganId, CancellationToken.None);
        return binding;
    }

    private sealed class NoAudit : IAuditTrail
    {
        public ValueTask<long> RecordAsync(AuditRecord record, CancellationToken cancellationToken = default) => ValueTask.FromResult(-1L);
    }
}
