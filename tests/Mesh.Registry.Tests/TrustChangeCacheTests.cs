using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Mesh.Identity;
using Mesh.Pki;
using Mesh.Registry.Domain;
using Mesh.ServiceDefaults.Hosting;
using Mesh.ServiceDefaults.Peers;
using Mesh.Signature;
using Mesh.Signature.Domain;
using Mesh.Signature.Infrastructure;
using Mesh.Signature.Tests.Support;
using Mesh.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Mesh.Registry.Tests;

/// <summary>
/// The signature engine's chain cache against registry trust changes: a chain validated and cached, then a CRL
/// revoking the signer published (or its CA removed) in the registry, and the next verification must not be
/// answered from the cache. In-process (the hub's composition, the engine over the registry's store) and from
/// another process (the signature service's composition, the engine over <see cref="RegistryPeer"/> and WatchChanges).
/// </summary>
public sealed class TrustChangeCacheTests : IAsyncLifetime
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("manifest: 000.00.00.H41 → 000.00.00.G22");
    private readonly TestPki pki = new(DateTimeOffset.UtcNow);
    private RegistryHost host = null!;

    public async Task InitializeAsync()
    {
        host = await RegistryHost.StartAsync();
        await host.Registry.AddTrustAnchorAsync("root", pki.Root.RawData, TrustAnchorKind.Root, "test root", Caller.Hub, CancellationToken.None);
        await host.Registry.AddTrustAnchorAsync("intermediate", pki.Intermediate.RawData, TrustAnchorKind.Intermediate, "test issuing CA", Caller.Hub, CancellationToken.None);
        await host.Registry.PublishCrlAsync("root-crl", pki.Crl(pki.Root), Caller.Hub, CancellationToken.None);
        await host.Registry.PublishCrlAsync("intermediate-crl", pki.Crl(pki.Intermediate), Caller.Hub, CancellationToken.None);
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task VerifyCms_InProcess_CrlRevokingCachedSignerPublished_NextVerificationRevoked()
    {
        var verifier = host.Host.Services.GetRequiredService<SignatureVerifier>();
        var leaf = pki.IssueLeaf();
        var cms = TestPki.SignCms(Content, leaf, DateTimeOffset.UtcNow.AddMinutes(-1));
        await AssertPassedAndCachedAsync(verifier, cms);

        await host.Registry.PublishCrlAsync("revoke", TestPki.Crl(pki.Intermediate, pki.Now.AddMinutes(-30), pki.Now.AddDays(1), (leaf, pki.Now.AddMinutes(-10))), Caller.Hub, CancellationToken.None);
        var after = await verifier.VerifyCmsAsync(cms, Content, null, CancellationToken.None);

        after.Signatures[0].SubIndication.Should().Be(SubIndication.Revoked, after.Signatures[0].Reason);
    }

    [Fact]
    public async Task VerifyCms_InProcess_IssuingCaRemovedAfterCaching_NextVerificationHasNoChain()
    {
        var verifier = host.Host.Services.GetRequiredService<SignatureVerifier>();
        var cms = TestPki.SignCms(Content, pki.IssueLeaf(), DateTimeOffset.UtcNow.AddMinutes(-1));
        await AssertPassedAndCachedAsync(verifier, cms);

        await host.Registry.RemoveTrustAnchorAsync("remove", Convert.ToHexStringLower(SHA256.HashData(pki.Intermediate.RawData)), Caller.Hub, CancellationToken.None);
        var after = await verifier.VerifyCmsAsync(cms, Content, null, CancellationToken.None);

        after.Signatures[0].SubIndication.Should().Be(SubIndication.NoCertificateChainFound, after.Signatures[0].Reason);
    }

    [Fact]
    public async Task VerifyCms_OverRegistryPeer_CrlRevokingCachedSignerPublished_VerificationAfterChangeRevoked()
    {
        await using var remote = await RemoteEngine.StartAsync(host);
        var leaf = pki.IssueLeaf();
        var cms = TestPki.SignCms(Content, leaf, DateTimeOffset.UtcNow.AddMinutes(-1));
        await remote.WaitUntilLiveAsync(host);
        await AssertPassedAndCachedAsync(remote.Verifier, cms);

        var crl = await host.Registry.PublishCrlAsync("revoke", TestPki.Crl(pki.Intermediate, pki.Now.AddMinutes(-30), pki.Now.AddDays(1), (leaf, pki.Now.AddMinutes(-10))), Caller.Hub, CancellationToken.None);
        var version = (await host.Registry.TrustMaterialAsync(CancellationToken.None)).Version;
        await remote.WaitForTrustVersionAsync(host, version);
        var after = await remote.Verifier.VerifyCmsAsync(cms, Content, null, CancellationToken.None);

        crl.IssuerThumbprint.Should().Be(Convert.ToHexStringLower(SHA256.HashData(pki.Intermediate.RawData)));
        after.Signatures[0].SubIndication.Should().Be(SubIndication.Revoked, after.Signatures[0].Reason);
    }

    private static async Task AssertPassedAndCachedAsync(SignatureVerifier verifier, byte[] cms)
    {
        var cold = await verifier.VerifyCmsAsync(cms, Content, null, CancellationToken.None);
        cold.Passed.Should().BeTrue(cold.Signatures[0].Reason);
        var hits = verifier.ChainCache.Hits;
        var warm = await verifier.VerifyCmsAsync(cms, Content, null, CancellationToken.None);
        warm.Passed.Should().BeTrue();
        verifier.ChainCache.Hits.Should().Be(hits + 1, "the second verification of the same signer is answered from the chain cache");
    }

    /// <summary>The signature service's engine in another "process": trust material and bindings through RegistryPeer over TLS.</summary>
    private sealed class RemoteEngine : IAsyncDisposable
    {
        private readonly ServiceProvider services;
        private readonly CancellationTokenSource stop = new();

        private RemoteEngine(ServiceProvider services)
        {
            this.services = services;
        }

        public RegistryPeer Peer => services.GetRequiredService<RegistryPeer>();

        public SignatureVerifier Verifier => services.GetRequiredService<SignatureVerifier>();

        public static async Task<RemoteEngine> StartAsync(RegistryHost host)
        {
            var serviceCert = await host.ClientCertificateAsync(RegistryHost.OperatorId, CallerRole.HubService);
            var pfx = Path.Combine(host.Host.DataDirectory, $"signature-peer-{Guid.NewGuid():N}.pfx");
            DevelopmentPki.SavePfx(serviceCert, pfx);
            var collection = new ServiceCollection()
                .AddLogging()
                .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
                .AddSingleton(Options.Create(new PeerOptions { Registry = new PeerEndpoint { Address = new Uri($"https://localhost:{host.Host.Port}") }, ClientCertificatePath = pfx }))
                .AddSingleton(Options.Create(new MeshDataOptions { DataDirectory = host.Host.DataDirectory }))
                .AddSingleton<PeerChannels>()
                .AddSingleton(sp => new RegistryPeer(sp.GetRequiredService<PeerChannels>(), sp.GetRequiredService<IOptions<PeerOptions>>(), NullLogger<RegistryPeer>.Instance))
                .AddSingleton<ITrustMaterial, RegistryPeerTrustMaterial>()
                .AddSingleton<ICertificateBindings, RegistryPeerCertificateBindings>()
                .AddSignatureEngine();
            var engine = new RemoteEngine(collection.BuildServiceProvider());
            await engine.Peer.StartAsync(engine.stop.Token);
            return engine;
        }

        public Task WaitUntilLiveAsync(RegistryHost host) => UntilAsync(host, () => Peer.TrustVersion != long.MinValue, "the registry change stream is live");

        public Task WaitForTrustVersionAsync(RegistryHost host, long version) => UntilAsync(host, () => Peer.TrustVersion >= version, $"the peer has seen trust version {version}");

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await Peer.StopAsync(CancellationToken.None);
            await services.DisposeAsync();
            stop.Dispose();
        }

        // The change arrives on a stream we do not own; re-check at each registry change and on a short tick.
        private static async Task UntilAsync(RegistryHost host, Func<bool> condition, string description)
        {
            var feed = host.Host.Services.GetRequiredService<RegistryChangeFeed>();
            var deadline = DateTimeOffset.UtcNow + Eventually.DefaultTimeout;
            while (!condition())
            {
                DateTimeOffset.UtcNow.Should().BeBefore(deadline, description);
                await Task.WhenAny(feed.NextChange, Task.Delay(50));
            }
        }
    }
}
