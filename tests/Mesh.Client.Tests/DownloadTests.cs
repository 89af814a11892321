using System.Diagnostics.Metrics;
using System.Security.Cryptography;

namespace Mesh.Client.Tests;

[Collection(HubCollection.Name)]
public sealed class DownloadTests(HubFixture hub) : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "mesh-client-dl-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task DownloadAsync_ConnectionResetMidAttachment_ResumesFromTheBytesWrittenAndMatchesTheDigest()
    {
        var sender = await hub.AgencyAsync(HubFixture.OtherMinistry);
        var recipient = await hub.AgencyAsync(HubFixture.OtherProvince);
        using var outbox = hub.Connect(sender);
        var content = HubFixture.RandomBytes(3_000_000);
        var sent = await outbox.SendAsync(
            HubFixture.Header(sender.OrganId, recipient.OrganId),
            [HubFixture.Package(sender)[0], OutgoingAttachment.FromBytes("so-lieu.bin", content, Contracts.Routing.V1.AttachmentRole.Attachment)]);
        await using var proxy = hub.Proxy();
        using var client = hub.Connect(recipient, via: proxy);
        var reports = new List<(TransferProgress Progress, int CutsSoFar)>();
        // Beyond the package and the main document, about halfway through the 3 MB attachment.
        proxy.CutDownstreamAfter(1_500_000);

        var downloaded = await client.DownloadAsync(sent.Receipt.DocumentId, directory, new Inline(p => reports.Add((p, proxy.Cuts))));

        proxy.Cuts.Should().Be(1);
        var big = reports.Where(r => r.Progress.Attachment == "so-lieu.bin").ToList();
        big.Should().Contain(r => r.CutsSoFar == 0, "part of the attachment arrived before the cut");
        big.Select(r => r.Progress.Bytes).Should().BeInAscendingOrder("the download resumed from the bytes already written, it did not start over");
        big[^1].Progress.Bytes.Should().Be(content.Length);
        var file = downloaded.Files.Single(f => Path.GetFileName(f) == "so-lieu.bin");
        SHA256.HashData(await File.ReadAllBytesAsync(file)).Should().Equal(SHA256.HashData(content));
    }

    [Fact]
    public async Task DownloadAsync_NoFailure_WritesEveryAttachmentAsSent()
    {
        var sender = await hub.AgencyAsync(HubFixture.OtherMinistry);
        var recipient = await hub.AgencyAsync(HubFixture.OtherProvince);
        using var outbox = hub.Connect(sender);
        using var client = hub.Connect(recipient);
        var attachments = HubFixture.Package(sender, size: 200_000);
        var sent = await outbox.SendAsync(HubFixture.Header(sender.OrganId, recipient.OrganId), attachments);

        var downloaded = await client.DownloadAsync(sent.Receipt.DocumentId, directory);

        downloaded.Files.Select(Path.GetFileName).Should().Equal(attachments.Select(a => a.Name));
        for (var i = 0; i < attachments.Count; i++)
        {
            using var expected = attachments[i].Open();
            (await File.ReadAllBytesAsync(downloaded.Files[i])).Should().Equal(((MemoryStream)expected).ToArray());
        }
    }

    [Fact]
    public async Task DownloadAsync_PackageFirst_AsksForThePackageOnlySoStorageReadsEachAttachmentOnce()
    {
        var sender = await hub.AgencyAsync(HubFixture.OtherMinistry);
        var recipient = await hub.AgencyAsync(HubFixture.OtherProvince);
        using var outbox = hub.Connect(sender);
        using var client = hub.Connect(recipient);
        var attachments = HubFixture.Package(sender, size: 2_000_000);
        var sent = await outbox.SendAsync(HubFixture.Header(sender.OrganId, recipient.OrganId), attachments);
        using var bytesOut = new StorageBytesOut();

        await client.DownloadAsync(sent.Receipt.DocumentId, directory);

        bytesOut.Total.Should().Be(attachments.Sum(SendTests.Size), "the package came alone: no attachment was read from storage for it, then each attachment once");
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>Sums the hub's <c>mesh.storage.bytes_out</c> (verified bytes handed out by storage reads) while alive.</summary>
internal sealed class StorageBytesOut : IDisposable
{
    private readonly MeterListener listener = new();
    private long total;

    public StorageBytesOut()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Mesh.Storage" && instrument.Name == "mesh.storage.bytes_out")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref total, value));
        listener.Start();
    }

    public long Total => Interlocked.Read(ref total);

    public void Dispose() => listener.Dispose();
}
