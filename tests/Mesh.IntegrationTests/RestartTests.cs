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
        SendDocumentResponse firstSent;
        var firstHub = await HubProcess.StartAsync(directory);
        await using (firstHub)
        {
            a = await firstHub.EnrolAsync(HubFixture.A);
            b = await firstHub.EnrolAsync(HubFixture.B);
            c = await firstHub.EnrolAsync(HubFixture.C);
            using var clientA = new AgencyClient(a, firstHub.Channel(a.ClientCertificate));
            using var clientB = new AgencyClient(b, firstHub.Channel(b.ClientCertificate));
            var attachments = clientA.Package();
            firstSent = await clientA.SendAsync(clientA.Manifest([HubFixture.B, HubFixture.C], attachments), attachments);
            first = firstSent.Receipt.DocumentId;
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

        // An orderly stop finishes what it accepted: no document is left for the receipt sweep.
        (await secondHub.Services.GetRequiredService<IStateStore>().ScanAsync(RoutingKeys.UnfinishedPrefix, null, 10)).Should().BeEmpty();
        var storedFirst = await WaitForReceiptAsync(secondHub.Services.GetRequiredService<IStateStore>(), first);
        storedFirst.Signature.Should().Equal(firstSent.ReceiptSignature.ToByteArray(), "the receipt stored is the one the sender got");
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
        await FinishedAsync(hub, first.Receipt.DocumentId);

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

    [Fact]
    public async Task Hub_StoppedAfterAnsweringBeforeStoringTheReceipt_NextStartStoresTheSameReceiptAndPublishesTheEvents()
    {
        SendDocumentResponse sent;
        var firstHub = await HubProcess.StartAsync(directory);
        await using (firstHub)
        {
            sent = await SendToBAndFinishAsync(firstHub);

            // The state a stop right after answering the sender leaves: the document and its marker, no stored receipt.
            var store = firstHub.Services.GetRequiredService<IStateStore>();
            var receipt = await store.GetAsync(RoutingKeys.Receipt(sent.Receipt.DocumentId));
            await store.TransactAsync(
            [
                StateOperation.Delete(RoutingKeys.Receipt(sent.Receipt.DocumentId), receipt!.ETag),
                StateOperation.Upsert(RoutingKeys.Unfinished(sent.Receipt.DocumentId), RoutingKeys.UnfinishedSince(sent.Receipt.AcceptTime.ToDateTimeOffset())),
            ]);
        }

        var recorder = new EventRecorder();
        await using var secondHub = await HubProcess.StartAsync(directory, SweepAtOnce, services: recorder.Register);
        var documentId = sent.Receipt.DocumentId;
        var accepted = await recorder.WaitForAsync(RoutingTopics.DocumentAccepted, documentId);
        var store2 = secondHub.Services.GetRequiredService<IStateStore>();
        var stored = await WaitForReceiptAsync(store2, documentId);
        var entries = await secondHub.Services.GetRequiredService<AuditLogReader>().QueryAsync(
            new AuditQuery { DocumentId = documentId, Type = AuditEventTypes.DocumentAccepted }, 10, null);

        // Same audit leaf, so the same receipt bytes the sender holds (under a fresh hub signature).
        stored.ReceiptBytes.Should().Equal(sent.ReceiptBytes.ToByteArray());
        accepted.Data.ToArray().Should().Equal(sent.ReceiptBytes.ToByteArray());
        (await recorder.WaitForAsync(RoutingTopics.DeliveryCreated, RoutingKeys.DeliveryId(documentId, HubFixture.B))).Subject.Should().Be(HubFixture.B);
        entries.Entries.Should().ContainSingle();
        (await WaitForNoMarkerAsync(store2)).Should().BeTrue();
    }

    [Fact]
    public async Task Hub_EventsCouldNotBePublished_ReceiptStoredAndNextStartPublishesThem()
    {
        SendDocumentResponse sent;
        var firstHub = await HubProcess.StartAsync(directory, services: FailingRoutingEvents.Register);
        await using (firstHub)
        {
            sent = await SendToBAndFinishAsync(firstHub);
            var store = firstHub.Services.GetRequiredService<IStateStore>();

            // The sender was answered and the very receipt it got was stored; the marker stays because the events are owed.
            var stored = await WaitForReceiptAsync(store, sent.Receipt.DocumentId);
            stored.ReceiptBytes.Should().Equal(sent.ReceiptBytes.ToByteArray());
            stored.Signature.Should().Equal(sent.ReceiptSignature.ToByteArray());
            var marker = await store.GetAsync(RoutingKeys.Unfinished(sent.Receipt.DocumentId));
            RoutingKeys.UnfinishedSince(marker!.Value.Span).Should().Be(sent.Receipt.AcceptTime.ToDateTimeOffset());
        }

        var recorder = new EventRecorder();
        await using var secondHub = await HubProcess.StartAsync(directory, SweepAtOnce, services: recorder.Register);
        var accepted = await recorder.WaitForAsync(RoutingTopics.DocumentAccepted, sent.Receipt.DocumentId);

        accepted.Data.ToArray().Should().Equal(sent.ReceiptBytes.ToByteArray());
        (await WaitForNoMarkerAsync(secondHub.Services.GetRequiredService<IStateStore>())).Should().BeTrue();
    }

    private static readonly Dictionary<string, string?> SweepAtOnce = new() { ["Mesh:Routing:ReceiptSweepAge"] = "00:00:00" };

    private static async Task<SendDocumentResponse> SendToBAndFinishAsync(HubProcess hub)
    {
        var a = await hub.EnrolAsync(HubFixture.A);
        await hub.EnrolAsync(HubFixture.B);
        using var clientA = new AgencyClient(a, hub.Channel(a.ClientCertificate));
        var attachments = clientA.Package();
        var sent = await clientA.SendAsync(clientA.Manifest([HubFixture.B], attachments), attachments);
        await FinishedAsync(hub, sent.Receipt.DocumentId);
        return sent;
    }

    private static async Task FinishedAsync(HubProcess hub, string documentId)
    {
        if (hub.Services.GetRequiredService<UnfinishedReceipts>().Find(documentId) is { } finishing)
        {
            await finishing;
        }
    }

    private static async Task<ReceiptRecord> WaitForReceiptAsync(IStateStore store, string documentId)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await store.GetAsync(RoutingKeys.Receipt(documentId)) is { } item)
            {
                return System.Text.Json.JsonSerializer.Deserialize(item.Value.Span, RoutingJson.Default.ReceiptRecord)!;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No receipt of {documentId} was stored.");
    }

    private static async Task<bool> WaitForNoMarkerAsync(IStateStore store)
    {
        for (var i = 0; i < 200; i++)
        {
            if ((await store.ScanAsync(RoutingKeys.UnfinishedPrefix, null, 10)).Count == 0)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
