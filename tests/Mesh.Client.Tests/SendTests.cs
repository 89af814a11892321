using Mesh.Contracts.Routing.V1;

namespace Mesh.Client.Tests;

[Collection(HubCollection.Name)]
public sealed class SendTests(HubFixture hub)
{
    [Fact]
    public async Task SendAsync_WithProgress_ReportsMonotonicProgressEndingAtTheTotalSize()
    {
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        await hub.AgencyAsync(HubFixture.Province);
        using var client = hub.Connect(sender);
        var attachments = HubFixture.Package(sender, size: 300_000);
        var total = attachments.Sum(a => Size(a));
        var reports = new List<TransferProgress>();

        var response = await client.SendAsync(HubFixture.Header(sender.OrganId, HubFixture.Province), attachments, progress: new Inline(reports.Add));

        response.Receipt.DocumentId.Should().NotBeEmpty();
        reports.Should().HaveCountGreaterThan(2, "300 KB in 64 KiB chunks is several reports");
        reports.Select(r => r.TotalBytes).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        reports.Should().AllSatisfy(r => r.PackageBytes.Should().Be(total));
        reports.Should().AllSatisfy(r => r.Bytes.Should().BeInRange(1, r.Total));
        reports[^1].TotalBytes.Should().Be(total);
        reports.GroupBy(r => r.Attachment).Select(g => g.Last().Bytes).Should().Equal(attachments.Select(Size));
    }

    [Fact]
    public async Task SendAsync_SameRequestIdTwice_ReturnsTheSameReceiptBytesAndDeliversOnce()
    {
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        var recipient = await hub.AgencyAsync(HubFixture.Province);
        using var client = hub.Connect(sender);
        using var inbox = hub.Connect(recipient);
        var header = HubFixture.Header(sender.OrganId, recipient.OrganId);
        var attachments = HubFixture.Package(sender);
        var requestId = Guid.NewGuid().ToString("N");

        var first = await client.SendAsync(header, attachments, requestId);
        var second = await client.SendAsync(header, attachments, requestId);

        second.ReceiptBytes.Should().Equal(first.ReceiptBytes);
        second.ReceiptSignature.Should().Equal(first.ReceiptSignature);
        (await DeliveriesAsync(inbox, header.DocumentId)).Should().ContainSingle()
            .Which.Document.DocumentId.Should().Be(first.Receipt.DocumentId);
    }

    [Fact]
    public async Task SendAsync_ConnectionResetMidUpload_RetriesWithTheSameRequestIdAndCreatesOneDocument()
    {
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        var recipient = await hub.AgencyAsync(HubFixture.Province);
        await using var proxy = hub.Proxy();
        using var client = hub.Connect(sender, via: proxy);
        using var inbox = hub.Connect(recipient);
        var header = HubFixture.Header(sender.OrganId, recipient.OrganId);
        var attachments = HubFixture.Package(sender, size: 1_000_000);
        var reports = new List<TransferProgress>();
        // Past the TLS handshake and the signed manifest, well before the last of the 1 MB attachment.
        proxy.CutUpstreamAfter(400_000);

        var response = await client.SendAsync(header, attachments, progress: new Inline(reports.Add));

        proxy.Cuts.Should().Be(1, "the upload was cut once");
        proxy.Connections.Should().BeGreaterThanOrEqualTo(2, "the retry came on a new connection");
        reports.Select(r => r.TotalBytes).Should().NotBeInAscendingOrder("the upload started again after the cut");
        response.Receipt.RequestId.Should().NotBeEmpty();
        var deliveries = await DeliveriesAsync(inbox, header.DocumentId);
        deliveries.Should().ContainSingle().Which.Document.DocumentId.Should().Be(response.Receipt.DocumentId);
    }

    internal static async Task<List<InboxItem>> DeliveriesAsync(MeshClient client, string businessDocumentId)
    {
        var items = new List<InboxItem>();
        var request = new ListInboxRequest { PageSize = 200, Kind = InboxItemKind.Document };
        while (true)
        {
            var page = await client.ListInboxAsync(request);
            items.AddRange(page.Items.Where(i => i.Document?.BusinessDocumentId == businessDocumentId));
            if (page.NextPageToken.Length == 0)
            {
                return items;
            }

            request.PageToken = page.NextPageToken;
        }
    }

    internal static long Size(OutgoingAttachment attachment)
    {
        using var stream = attachment.Open();
        return stream.Length;
    }
}

/// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
internal sealed class Inline(Action<TransferProgress> report) : IProgress<TransferProgress>
{
    public void Report(TransferProgress value) => report(value);
}
