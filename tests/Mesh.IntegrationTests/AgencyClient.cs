using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.Routing.V1;
using Mesh.Testing.Routing;

namespace Mesh.IntegrationTests;

/// <summary>An agency adapter talking to the hub over TLS with its own client certificate.</summary>
public sealed class AgencyClient(TestAgency agency, GrpcChannel channel) : IDisposable
{
    public TestAgency Agency { get; } = agency;

    public string OrganId => Agency.OrganId;

    public RoutingService.RoutingServiceClient Routing { get; } = new(channel);

    /// <summary>Today in Asia/Ho_Chi_Minh, the signing day of fresh documents.</summary>
    public static DateOnly Today =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh")).DateTime);

    /// <summary>A signed main PDF and one attachment.</summary>
    public IReadOnlyList<OutgoingAttachment> Package(int attachmentSize = 50_000) =>
    [
        new("van-ban.pdf", SignedPdf.Create(Agency.SigningCertificate), AttachmentRole.MainDocument),
        new("phu-luc.bin", RandomBytes(attachmentSize)),
    ];

    public static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A valid manifest from this agency.</summary>
    public DocumentManifest Manifest(IEnumerable<string> to, IReadOnlyList<OutgoingAttachment> attachments, string? number = null) =>
        ManifestFactory.Create(OrganId, to, attachments, Today, number);

    /// <summary>
    /// Sends a manifest and the chunks (default: every attachment's bytes in order). The manifest is
    /// signed by <paramref name="signer"/> (default: the agency's bound signing certificate) unless
    /// <paramref name="sign"/> is false. Throws the call's RpcException on refusal.
    /// </summary>
    public async Task<SendDocumentResponse> SendAsync(
        DocumentManifest manifest,
        IReadOnlyList<OutgoingAttachment> attachments,
        string? requestId = null,
        X509Certificate2? signer = null,
        bool sign = true,
        IEnumerable<AttachmentChunk>? chunks = null)
    {
        var bytes = manifest.ToByteArray();
        var header = new SendDocumentHeader
        {
            RequestId = requestId ?? Guid.NewGuid().ToString("N"),
            Manifest = ByteString.CopyFrom(bytes),
            ManifestSignature = sign ? ByteString.CopyFrom(SignedPdf.SignDetached(bytes, signer ?? Agency.SigningCertificate)) : ByteString.Empty,
        };
        using var call = Routing.SendDocument(deadline: DateTime.UtcNow.AddSeconds(60));

        // As Mesh.Client: stop writing once the hub has answered (a refusal mid-stream), or a write waiting
        // for HTTP/2 flow control the hub will never grant waits for ever (seen in CI; the deadline did not end it).
        using var answered = new CancellationTokenSource();
        _ = call.ResponseAsync.ContinueWith(
            static (_, s) =>
            {
                try
                {
                    ((CancellationTokenSource)s!).Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            },
            answered,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        try
        {
            await call.RequestStream.WriteAsync(new SendDocumentRequest { Header = header }, answered.Token);
            foreach (var chunk in chunks ?? ManifestFactory.Chunks(attachments))
            {
                await call.RequestStream.WriteAsync(new SendDocumentRequest { Chunk = chunk }, answered.Token);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException or OperationCanceledException)
        {
            // The hub answered (refused) before the client finished writing; the response says why.
        }

        return await call.ResponseAsync;
    }

    /// <summary>
    /// Opens a send and breaks it: writes the header and the chunks in order until
    /// <paramref name="bytes"/> bytes of attachments have been written, then cancels the call (the
    /// hub sees the stream reset, as when a connection drops). HTTP/2 flow control lets a write
    /// complete only once the hub has read all but a window (768 KiB) of what came before, so the
    /// hub has consumed at least <paramref name="bytes"/> minus that window.
    /// </summary>
    public async Task InterruptSendAsync(DocumentManifest manifest, IReadOnlyList<OutgoingAttachment> attachments, string requestId, long bytes)
    {
        var manifestBytes = manifest.ToByteArray();
        using var cancel = new CancellationTokenSource();
        using var call = Routing.SendDocument(cancellationToken: cancel.Token);
        await call.RequestStream.WriteAsync(new SendDocumentRequest
        {
            Header = new SendDocumentHeader { RequestId = requestId, Manifest = ByteString.CopyFrom(manifestBytes), ManifestSignature = ByteString.CopyFrom(SignedPdf.SignDetached(manifestBytes, Agency.SigningCertificate)) },
        });
        long written = 0;
        foreach (var chunk in ManifestFactory.Chunks(attachments))
        {
            if (written >= bytes)
            {
                break;
            }

            await call.RequestStream.WriteAsync(new SendDocumentRequest { Chunk = chunk });
            written += chunk.Data.Length;
        }

        await cancel.CancelAsync();
        var response = async () => await call.ResponseAsync;
        (await response.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(Grpc.Core.StatusCode.Cancelled);
    }

    /// <summary>Every chunk of the attachments from the given offsets (an attachment whose offset is its size is left out).</summary>
    public static IEnumerable<AttachmentChunk> ChunksFrom(IReadOnlyList<OutgoingAttachment> attachments, IReadOnlyList<long> offsets, int chunkSize = 256 * 1024)
    {
        for (var i = 0; i < attachments.Count; i++)
        {
            var content = attachments[i].Content;
            for (var offset = (int)offsets[i]; offset < content.Length; offset += chunkSize)
            {
                yield return new AttachmentChunk { AttachmentIndex = i, Offset = offset, Data = ByteString.CopyFrom(content, offset, Math.Min(chunkSize, content.Length - offset)) };
            }
        }
    }

    /// <summary>Every item of the inbox, following pages.</summary>
    public async Task<List<InboxItem>> InboxAsync(ListInboxRequest? filter = null)
    {
        var items = new List<InboxItem>();
        var request = filter ?? new ListInboxRequest();
        request.PageSize = 200;
        while (true)
        {
            var page = await Routing.ListInboxAsync(request);
            items.AddRange(page.Items);
            if (page.NextPageToken.Length == 0)
            {
                return items;
            }

            request.PageToken = page.NextPageToken;
        }
    }

    /// <summary>Watches from <paramref name="cursor"/> until <paramref name="until"/> holds for the items seen.</summary>
    public async Task<List<InboxItem>> WatchUntilAsync(string cursor, Func<List<InboxItem>, bool> until)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = Routing.WatchInbox(new WatchInboxRequest { Cursor = cursor }, cancellationToken: timeout.Token);
        var seen = new List<InboxItem>();
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            if (call.ResponseStream.Current.Item is { } item)
            {
                seen.Add(item);
                if (until(seen))
                {
                    return seen;
                }
            }
        }

        return seen;
    }

    /// <summary>Downloads a document: the package and each attachment's bytes by index.</summary>
    public async Task<(DocumentPackage Package, Dictionary<int, byte[]> Attachments)> DownloadAsync(string documentId)
    {
        using var call = Routing.DownloadDocument(new DownloadDocumentRequest { DocumentId = documentId }, deadline: DateTime.UtcNow.AddSeconds(60));
        DocumentPackage? package = null;
        var parts = new Dictionary<int, MemoryStream>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            var message = call.ResponseStream.Current;
            if (message.PartCase == DownloadDocumentResponse.PartOneofCase.Package)
            {
                package = message.Package;
            }
            else
            {
                if (!parts.TryGetValue(message.Chunk.AttachmentIndex, out var stream))
                {
                    parts[message.Chunk.AttachmentIndex] = stream = new MemoryStream();
                }

                stream.Position.Should().Be(message.Chunk.Offset);
                message.Chunk.Data.WriteTo(stream);
            }
        }

        return (package!, parts.ToDictionary(p => p.Key, p => p.Value.ToArray()));
    }

    /// <summary>Reports a signed status.</summary>
    public Task<ReportStatusResponse> ReportAsync(string documentId, Mesh.Contracts.Routing.V1.StatusCode code, string description = "", X509Certificate2? signer = null)
    {
        var report = new StatusReport { DocumentId = documentId, FromOrganId = OrganId, Code = code, Description = description, StaffInfo = new StaffInfo { Staff = "Văn thư" } };
        var bytes = report.ToByteArray();
        return Routing.ReportStatusAsync(new ReportStatusRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Status = ByteString.CopyFrom(bytes),
            StatusSignature = ByteString.CopyFrom(SignedPdf.SignDetached(bytes, signer ?? Agency.SigningCertificate)),
        }).ResponseAsync;
    }

    public void Dispose() => channel.Dispose();
}
