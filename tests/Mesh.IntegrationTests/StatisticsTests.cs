using System.Security.Cryptography.X509Certificates;
using Mesh.Registry.Domain;
using AuditProto = Mesh.Contracts.Audit.V1;

namespace Mesh.IntegrationTests;

/// <summary>The operator's published figures: "95/95 units connected" takes its denominator from the registry.</summary>
public sealed class StatisticsTests : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "mesh-stats-" + Guid.NewGuid().ToString("N"));
    private HubProcess hub = null!;

    public async Task InitializeAsync()
    {
        hub = await HubProcess.StartAsync(directory);
        await hub.EnrolAsync(HubFixture.A);
        await hub.SuspendAsync(HubFixture.Suspended);
    }

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task GetStatistics_AgenciesRegistered_IsTheRegistrysActiveAgencies()
    {
        var registry = (AgencyRegistry)hub.Services.GetService(typeof(AgencyRegistry))!;
        var agencies = await registry.AllAsync(CancellationToken.None);
        var active = agencies.Count(a => a.IsActive);
        using var admin = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(directory, "admin.pfx"), null);
        using var channel = hub.Channel(admin);
        var today = DateTimeOffset.UtcNow;

        var statistics = await new AuditProto.AuditService.AuditServiceClient(channel).GetStatisticsAsync(new AuditProto.GetStatisticsRequest
        {
            StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(today.AddDays(-1)),
            EndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(today.AddDays(2)),
        });

        agencies.Should().Contain(a => !a.IsActive, "the suspended agency is registered but does not count");
        active.Should().BeGreaterThan(2, "the seed list is loaded on first run");
        statistics.AgenciesRegistered.Should().Be(active);
    }
}
