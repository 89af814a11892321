using System.Security.Cryptography;
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
        reports.Select(r => r.TotalBytes).Should().NotBeInAscendingOrder("less than one 1 MiB storage chunk of the attachment had arrived, so nothing of it was staged and it started again at 0");
        response.Receipt.RequestId.Should().NotBeEmpty();
        var deliveries = await DeliveriesAsync(inbox, header.DocumentId);
        deliveries.Should().ContainSingle().Which.Document.DocumentId.Should().Be(response.Receipt.DocumentId);
    }

    [Fact]
    public async Task SendAsync_ConnectionCutMidUpload_ResumesAtTheStagedOffsetAndSendsLessThanTheFileAgain()
    {
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        var recipient = await hub.AgencyAsync(HubFixture.Province);
        await using var proxy = hub.Proxy();
        using var client = hub.Connect(sender, via: proxy);
        using var inbox = hub.Connect(recipient);
        var header = HubFixture.Header(sender.OrganId, recipient.OrganId);
        var content = HubFixture.RandomBytes(3_500_000);
        IReadOnlyList<OutgoingAttachment> attachments = [HubFixture.Package(sender)[0], OutgoingAttachment.FromBytes("so-lieu.bin", content, AttachmentRole.Attachment)];
        var reports = new List<(TransferProgress Progress, int Connections)>();
        // Past the TLS handshake, the manifest, the PDF and two thirds of the attachment. HTTP/2 flow control
        // (768 KiB per stream at the hub) means the hub had read at least one whole 1 MiB storage chunk by then.
        const int CutAfter = 2_600_000;
        proxy.CutUpstreamAfter(CutAfter);

        var response = await client.SendAsync(header, attachments, progress: new Inline(p => reports.Add((p, proxy.Connections))));

        proxy.Cuts.Should().Be(1);
        var resumed = reports.Where(r => r.Connections >= 2 && r.Progress.Attachment == "so-lieu.bin").Select(r => r.Progress).ToList();
        resumed.Should().NotBeEmpty();
        resumed[0].Bytes.Should().BeGreaterThan(1024 * 1024, "the resumed stream started at the staged offset, not at 0");
        resumed.Select(r => r.Bytes).Should().BeInAscendingOrder();
        resumed[^1].Bytes.Should().Be(content.Length);
        resumed[^1].TotalBytes.Should().Be(resumed[^1].PackageBytes, "progress ends at the package size");
        (proxy.UpstreamBytes - CutAfter).Should().BeLessThan(content.Length, "after the cut the hub received less than the file (status call and TLS included)");
        response.Receipt.Attachments.Single(a => a.Name == "so-lieu.bin").Sha256.Should().Equal(SHA256.HashData(content));
        (await DeliveriesAsync(inbox, header.DocumentId)).Should().ContainSingle().Which.Document.DocumentId.Should().Be(response.Receipt.DocumentId);
        var directory = Path.Combine(Path.GetTempPath(), "mesh-client-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            var downloaded = await inbox.DownloadAsync(response.Receipt.DocumentId, directory);
            (await File.ReadAllBytesAsync(downloaded.Files[1])).Should().Equal(content);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task SendAsync_SameRequestIdAfterAnInterruptedRun_ResumesFromTheHubsStagedBytesEvenFromAStreamThatCannotSeek()
    {
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        await hub.AgencyAsync(HubFixture.Province);
        var header = HubFixture.Header(sender.OrganId, HubFixture.Province);
        var content = HubFixture.RandomBytes(3_500_000);
        IReadOnlyList<OutgoingAttachment> attachments =
        [
            HubFixture.Package(sender)[0],
            new("so-lieu.bin", "application/octet-stream", AttachmentRole.Attachment, () => new ForwardOnlyStream(content)),
        ];
        var requestId = Guid.NewGuid().ToString("N");
        await using (var proxy = hub.Proxy())
        {
            // The adapter's first run: no retries, the connection drops, the process gives up (or dies).
            using var first = hub.Connect(sender, via: proxy, maxAttempts: 1);
            proxy.CutUpstreamAfter(2_600_000);
            var run = () => first.SendAsync(header, attachments, requestId);
            await run.Should().ThrowAsync<Grpc.Core.RpcException>();
        }

        using var client = hub.Connect(sender);
        var reports = new List<TransferProgress>();

        var response = await client.SendAsync(header, attachments, requestId, new Inline(reports.Add));

        var big = reports.Where(r => r.Attachment == "so-lieu.bin").ToList();
        big[0].Bytes.Should().BeGreaterThan(1024 * 1024, "the second run asked the hub first and sent only what it had not staged");
        big[^1].Bytes.Should().Be(content.Length);
        response.Receipt.RequestId.Should().Be(requestId);
        response.Receipt.Attachments.Single(a => a.Name == "so-lieu.bin").Sha256.Should().Equal(SHA256.HashData(content));
    }

    [Fact]
    public async Task SendAsync_SameRequestIdAfterAcceptance_ReturnsTheReceiptWithoutSendingAnything()
    {
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        await hub.AgencyAsync(HubFixture.Province);
        using var client = hub.Connect(sender);
        var header = HubFixture.Header(sender.OrganId, HubFixture.Province);
        var attachments = HubFixture.Package(sender);
        var requestId = Guid.NewGuid().ToString("N");
        var first = await client.SendAsync(header, attachments, requestId);
        var reports = new List<TransferProgress>();

        var again = await client.SendAsync(header, attachments, requestId, new Inline(reports.Add));

        again.ReceiptBytes.Should().Equal(first.ReceiptBytes);
        reports.Should().BeEmpty("GetUploadStatus returned the receipt: nothing was streamed");
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

/// <summary>Content that can only be read forward, as from a pipe or an HTTP response.</summary>
internal sealed class ForwardOnlyStream(byte[] content) : Stream
{
    private readonly MemoryStream inner = new(content, writable: false);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
internal sealed class Inline(Action<TransferProgress> report) : IProgress<TransferProgress>
{
    public void Report(TransferProgress value) => report(value);
}
