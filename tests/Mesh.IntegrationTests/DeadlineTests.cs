using Mesh.Contracts.Routing.V1;
using Mesh.Routing.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.IntegrationTests;

public sealed class DeadlineTests : TwoAgencyHubTests
{
    private readonly FakeTimeProvider time;

    public DeadlineTests()
        : this(new FakeTimeProvider(DateTimeOffset.UtcNow))
    {
    }

    private DeadlineTests(FakeTimeProvider time)
        : base("deadline", time: time) => this.time = time;


    [Fact]
    public async Task DeadlineScan_DeliveryNotAcknowledgedByEndOfWorkingDay_FlaggedOverdueInTraceAndInbox()
    {
        var attachments = A.Package();
        var sent = await A.SendAsync(A.Manifest([HubFixture.B], attachments), attachments);
        var monitor = Hub.Services.GetServices<IHostedService>().OfType<DeadlineMonitor>().Single();
        time.Advance(TimeSpan.FromDays(5));

        await monitor.ScanAsync(CancellationToken.None);
        var trace = await A.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = sent.Receipt.DocumentId });
        var item = (await B.InboxAsync()).Single(i => i.Document.DocumentId == sent.Receipt.DocumentId);

        trace.Recipients.Single().Flags.Overdue.Should().BeTrue();
        trace.Recipients.Single().Events.Select(e => e.Kind).Should().Contain("flag.overdue");
        item.Flags.Overdue.Should().BeTrue();
    }

    [Fact]
    public async Task DeadlineScan_DeliveryAcknowledgedInTime_NotFlagged()
    {
        var attachments = A.Package();
        var sent = await A.SendAsync(A.Manifest([HubFixture.B], attachments), attachments);
        await B.DownloadAsync(sent.Receipt.DocumentId);
        await B.Routing.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = "ack", DeliveryId = $"{sent.Receipt.DocumentId}/{HubFixture.B}", Outcome = AckOutcome.Done });
        var monitor = Hub.Services.GetServices<IHostedService>().OfType<DeadlineMonitor>().Single();
        time.Advance(TimeSpan.FromDays(5));

        await monitor.ScanAsync(CancellationToken.None);
        var trace = await A.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = sent.Receipt.DocumentId });

        trace.Recipients.Single().Flags.Overdue.Should().BeFalse();
    }

    [Fact]
    public async Task SendDocument_SignedLongBefore_ReceiptAndTraceFlagLate()
    {
        var attachments = A.Package();
        var manifest = Mesh.Testing.Routing.ManifestFactory.Create(HubFixture.A, [HubFixture.B], attachments, AgencyClient.Today.AddDays(-10));

        var sent = await A.SendAsync(manifest, attachments);
        var trace = await A.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = sent.Receipt.DocumentId });

        sent.Receipt.Late.Should().BeTrue();
        trace.Flags.Late.Should().BeTrue();
        trace.Recipients.Single().Events.Select(e => e.Kind).Should().Contain("flag.late");
    }
}
