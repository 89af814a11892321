using Mesh.Contracts.Routing.V1;
using Mesh.Routing.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.IntegrationTests;

public sealed class DeadlineTests : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "mesh-deadline-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private HubProcess hub = null!;
    private AgencyClient a = null!;
    private AgencyClient b = null!;

    public async Task InitializeAsync()
    {
        hub = await HubProcess.StartAsync(directory, time: time);
        var agencyA = await hub.EnrolAsync(HubFixture.A);
        var agencyB = await hub.EnrolAsync(HubFixture.B);
        a = new AgencyClient(agencyA, hub.Channel(agencyA.ClientCertificate));
        b = new AgencyClient(agencyB, hub.Channel(agencyB.ClientCertificate));
    }

    public async Task DisposeAsync()
    {
        a.Dispose();
        b.Dispose();
        await hub.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task DeadlineScan_DeliveryNotAcknowledgedByEndOfWorkingDay_FlaggedOverdueInTraceAndInbox()
    {
        var attachments = a.Package();
        var sent = await a.SendAsync(a.Manifest([HubFixture.B], attachments), attachments);
        var monitor = hub.Services.GetServices<IHostedService>().OfType<DeadlineMonitor>().Single();
        time.Advance(TimeSpan.FromDays(5));

        await monitor.ScanAsync(CancellationToken.None);
        var trace = await a.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = sent.Receipt.DocumentId });
        var item = (await b.InboxAsync()).Single(i => i.Document.DocumentId == sent.Receipt.DocumentId);

        trace.Recipients.Single().Flags.Overdue.Should().BeTrue();
        trace.Recipients.Single().Events.Select(e => e.Kind).Should().Contain("flag.overdue");
        item.Flags.Overdue.Should().BeTrue();
    }

    [Fact]
    public async Task DeadlineScan_DeliveryAcknowledgedInTime_NotFlagged()
    {
        var attachments = a.Package();
        var sent = await a.SendAsync(a.Manifest([HubFixture.B], attachments), attachments);
        await b.DownloadAsync(sent.Receipt.DocumentId);
        await b.Routing.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = "ack", DeliveryId = $"{sent.Receipt.DocumentId}/{HubFixture.B}", Outcome = AckOutcome.Done });
        var monitor = hub.Services.GetServices<IHostedService>().OfType<DeadlineMonitor>().Single();
        time.Advance(TimeSpan.FromDays(5));

        await monitor.ScanAsync(CancellationToken.None);
        var trace = await a.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = sent.Receipt.DocumentId });

        trace.Recipients.Single().Flags.Overdue.Should().BeFalse();
    }

    [Fact]
    public async Task SendDocument_SignedLongBefore_ReceiptAndTraceFlagLate()
    {
        var attachments = a.Package();
        var manifest = Mesh.Testing.Routing.ManifestFactory.Create(HubFixture.A, [HubFixture.B], attachments, AgencyClient.Today.AddDays(-10));

        var sent = await a.SendAsync(manifest, attachments);
        var trace = await a.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = sent.Receipt.DocumentId });

        sent.Receipt.Late.Should().BeTrue();
        trace.Flags.Late.Should().BeTrue();
        trace.Recipients.Single().Events.Select(e => e.Kind).Should().Contain("flag.late");
    }
}
