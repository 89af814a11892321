using FluentAssertions;
using Mesh.Identity;
using Mesh.Pki;
using Mesh.Registry.Domain;
using Mesh.ServiceDefaults.Hosting;
using Mesh.ServiceDefaults.Peers;
using Mesh.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Mesh.Registry.Tests;

/// <summary>The registry seen from another process: lookups over gRPC, invalidated by WatchChanges.</summary>
public sealed class RegistryPeerTests : IAsyncLifetime
{
    private RegistryHost host = null!;
    private PeerChannels channels = null!;
    private RegistryPeer peer = null!;
    private CancellationTokenSource stop = null!;

    public async Task InitializeAsync()
    {
        host = await RegistryHost.StartAsync();
        var serviceCert = await host.ClientCertificateAsync(RegistryHost.OperatorId, CallerRole.HubService);
        var pfx = Path.Combine(host.Host.DataDirectory, "routing-peer.pfx");
        DevelopmentPki.SavePfx(serviceCert, pfx);
        var options = Options.Create(new PeerOptions { Registry = new PeerEndpoint { Address = new Uri($"https://localhost:{host.Host.Port}") }, ClientCertificatePath = pfx });
        channels = new PeerChannels(options, Options.Create(new MeshDataOptions { DataDirectory = host.Host.DataDirectory }));
        peer = new RegistryPeer(channels, options, NullLogger<RegistryPeer>.Instance);
        stop = new CancellationTokenSource();
        await peer.StartAsync(stop.Token);
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        await peer.StopAsync(CancellationToken.None);
        peer.Dispose();
        channels.Dispose();
        stop.Dispose();
        await host.DisposeAsync();
    }

    [Fact]
    public async Task ResolveAsync_BoundCertificate_ReturnsAgencyAndRoles()
    {
        var cert = await host.ClientCertificateAsync("000.00.00.H41", CallerRole.Agency);
        var thumbprint = Mesh.ServiceDefaults.Identity.CallerAccessor.Thumbprint(cert);

        var resolution = await peer.ResolveAsync(thumbprint);

        resolution.Should().NotBeNull();
        resolution!.Caller.OrganId.Should().Be("000.00.00.H41");
        resolution.Caller.Roles.Should().BeEquivalentTo([CallerRole.Agency]);
        resolution.IsClientTls.Should().BeTrue();
        resolution.AgencyActive.Should().BeTrue();
    }

    [Fact]
    public async Task ResolveAsync_AfterUnbind_CacheDroppedByChangeStream()
    {
        var cert = await host.ClientCertificateAsync("000.00.00.H41", CallerRole.Agency);
        var thumbprint = Mesh.ServiceDefaults.Identity.CallerAccessor.Thumbprint(cert);
        (await peer.ResolveAsync(thumbprint)).Should().NotBeNull();

        await host.Registry.UnbindAsync("unbind", "000.00.00.H41", thumbprint, Caller.Hub, CancellationToken.None);

        await PollAsync(async () => await peer.ResolveAsync(thumbprint) is null);
    }

    [Fact]
    public async Task FindAsync_SuspendedAgency_SeenInactiveAfterChange()
    {
        await host.ClientCertificateAsync("000.00.00.H14", CallerRole.Agency);
        (await peer.FindAsync("000.00.00.H14"))!.IsActive.Should().BeTrue();

        await host.Registry.ChangeStateAsync("s", "000.00.00.H14", AgencyState.Suspended, "test", "", Caller.Hub, CancellationToken.None);

        await PollAsync(async () => (await peer.FindAsync("000.00.00.H14"))?.IsActive == false);
        (await peer.FindAsync("000.00.00.H99")).Should().BeNull();
    }

    [Fact]
    public async Task CountActiveAsync_OverGrpc_EqualsTheRegistrysActiveAgencies()
    {
        await host.ClientCertificateAsync("000.00.00.H14", CallerRole.Agency);
        await host.ClientCertificateAsync("000.00.00.H41", CallerRole.Agency);
        await host.Registry.ChangeStateAsync("s", "000.00.00.H14", AgencyState.Suspended, "test", "", Caller.Hub, CancellationToken.None);
        var expected = (await host.Registry.AllAsync(CancellationToken.None)).Count(a => a.IsActive);

        var counted = await peer.CountActiveAsync();

        counted.Should().Be(expected);
        expected.Should().BeGreaterThan(0);
    }

    // The change arrives on a stream we do not own; re-check on each registry change notification.
    private async Task PollAsync(Func<Task<bool>> condition)
    {
        var feed = (RegistryChangeFeed)host.Host.Services.GetService(typeof(RegistryChangeFeed))!;
        var deadline = DateTimeOffset.UtcNow + Eventually.DefaultTimeout;
        while (!await condition())
        {
            DateTimeOffset.UtcNow.Should().BeBefore(deadline, "the peer cache should be invalidated by the change stream");
            await Task.WhenAny(feed.NextChange, Task.Delay(50));
        }
    }
}
