using Mesh.Audit.Infrastructure;
using Mesh.Auditing;
using Mesh.Contracts.Routing.V1;
using Mesh.Routing.Infrastructure;
using Mesh.State;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.IntegrationTests;

public sealed class RestartTests : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "mesh-restart-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Hub_RestartedOnSameData_KeepsDocumentsPendingDeliveriesAndWatchCursors()
    {
        TestAgency a, b, c;
        string first, cursor;
        var firstHub = await HubProcess.StartAsync(directory);
        await using (firstHub)
        {
            a = await firstHub.EnrolAsync(HubFixture.A);
            b = await firstHub.EnrolAsync(HubFixture.B);
            c = await firstHub.EnrolAsync(HubFixture.C);
            using var clientA = new AgencyClient(a, firstHub.Channel(a.ClientCertificate));
            using var clientB = new AgencyClient(b, firstHub.Channel(b.ClientCertificate));
            var attachments = clientA.Package();
            first = (await clientA.SendAsync(clientA.Manifest([HubFixture.B, HubFixture.C], attachments), attachments)).Receipt.DocumentId;
            var seen = await clientB.WatchUntilAsync("", items => items.Any(i => i.Document.DocumentId == first));
            cursor = seen.Single(i => i.Document.DocumentId == first).Cursor;
        }

        await using var secondHub = await HubProcess.StartAsync(directory);
        using var againA = new AgencyClient(a, secondHub.Channel(a.ClientCertificate));
        using var againB = new AgencyClient(b, secondHub.Channel(b.ClientCertificate));
        using var againC = new AgencyClient(c, secondHub.Channel(c.ClientCertificate));
        var attachmentsAfter = againA.Package();

        var second = (await againA.SendAsync(againA.Manifest([HubFixture.B], attachmentsAfter), attachmentsAfter)).Receipt.DocumentId;
        var resumed = await againB.WatchUntilAsync(cursor, items => items.Any(i => i.Document.DocumentId == second));
        var pendingC = await againC.InboxAsync(new ListInboxRequest { State = DeliveryState.Pending });
        var download = await againC.DownloadAsync(first);
        var trace = await againA.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = first });

        resumed.Select(i => i.Document.DocumentId).Should().Equal(second);
        pendingC.Should().Contain(i => i.Document.DocumentId == first);
        download.Package.DocumentId.Should().Be(first);
        download.Attachments.Should().HaveCount(2);
        trace.Recipients.Should().OnlyContain(r => r.DeliveryState != DeliveryState.Done);
    }

    [Fact]
    public async Task SendDocument_RetryAfterCrashBeforeReceiptWasStored_SameAuditLeafAndOneAcceptedEntry()
    {
        await using var hub = await HubProcess.StartAsync(directory);
        var a = await hub.EnrolAsync(HubFixture.A);
        await hub.EnrolAsync(HubFixture.B);
        using var clientA = new AgencyClient(a, hub.Channel(a.ClientCertificate));
        var attachments = clientA.Package();
        var manifest = clientA.Manifest([HubFixture.B], attachments);
        var requestId = "crash-" + Guid.NewGuid().ToString("N");
        var first = await clientA.SendAsync(manifest, attachments, requestId);

        // What a crash between the audit append and the stored receipt leaves: the document, its audit entry, no receipt.
        var store = hub.Services.GetRequiredService<IStateStore>();
        var receiptKey = RoutingKeys.Receipt(first.Receipt.DocumentId);
        var stored = await store.GetAsync(receiptKey);
        await store.DeleteAsync(receiptKey, stored!.ETag);

        var retried = await clientA.SendAsync(manifest, attachments, requestId);
        var accepted = await hub.Services.GetRequiredService<AuditLogReader>().QueryAsync(
            new AuditQuery { DocumentId = first.Receipt.DocumentId, Type = AuditEventTypes.DocumentAccepted }, 10, null);

        retried.Receipt.DocumentId.Should().Be(first.Receipt.DocumentId);
        retried.Receipt.AuditLeafIndex.Should().Be(first.Receipt.AuditLeafIndex).And.BeGreaterThanOrEqualTo(0);
        accepted.Entries.Should().ContainSingle().Which.Index.Should().Be(first.Receipt.AuditLeafIndex);
    }
}
