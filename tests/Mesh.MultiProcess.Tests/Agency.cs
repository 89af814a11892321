using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.Routing.V1;
using Mesh.Testing.Routing;

namespace Mesh.MultiProcess.Tests;

/// <summary>A prepared send: the same request id, manifest, signature and bytes on every attempt, as an adapter retries.</summary>
public sealed record PreparedSend(string RequestId, SendDocumentHeader Header, IReadOnlyList<AttachmentChunk> Chunks);

/// <summary>An agency adapter talking to routing over TLS with its own client certificate.</summary>
public sealed class Agency(TestAgency agency, GrpcChannel channel) : IDisposable
{
    public string OrganId => agency.OrganId;

    public RoutingService.RoutingServiceClient Routing { get; } = new(channel);

    public PreparedSend Prepare(params string[] to)
    {
        var attachments = new List<OutgoingAttachment>
        {
            new("van-ban.pdf", SignedPdf.Create(agency.SigningCertificate), AttachmentRole.MainDocument),
            new("phu-luc.bin", System.Security.Cryptography.RandomNumberGenerator.GetBytes(20_000)),
        };
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh")).DateTime);
        var manifest = ManifestFactory.Create(OrganId, to, attachments, today).ToByteArray();
        var requestId = Guid.NewGuid().ToString("N");
        var header = new SendDocumentHeader
        {
            RequestId = requestId,
            Manifest = ByteString.CopyFrom(manifest),
            ManifestSignature = ByteString.CopyFrom(SignedPdf.SignDetached(manifest, agency.SigningCertificate)),
        };
        return new PreparedSend(requestId, header, [.. ManifestFactory.Chunks(attachments)]);
    }

    public async Task<SendDocumentResponse> SendAsync(PreparedSend send)
    {
        using var call = Routing.SendDocument(deadline: DateTime.UtcNow.AddSeconds(60));
        try
        {
            await call.RequestStream.WriteAsync(new SendDocumentRequest { Header = send.Header });
            foreach (var chunk in send.Chunks)
            {
                await call.RequestStream.WriteAsync(new SendDocumentRequest { Chunk = chunk });
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            // The server answered or the connection broke before the client finished writing: the response says which.
        }

        return await call.ResponseAsync;
    }

    /// <summary>Watches the inbox from the start until <paramref name="until"/> holds for the items seen.</summary>
    public async Task<List<InboxItem>> WatchUntilAsync(Func<List<InboxItem>, bool> until, TimeSpan? timeout = null)
    {
        using var expiry = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        using var call = Routing.WatchInbox(new WatchInboxRequest { Cursor = "" }, cancellationToken: expiry.Token);
        var seen = new List<InboxItem>();
        while (await call.ResponseStream.MoveNext(expiry.Token))
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

    public async Task<List<InboxItem>> InboxAsync()
    {
        var items = new List<InboxItem>();
        var request = new ListInboxRequest { PageSize = 200 };
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

    public async Task<(DocumentPackage? Package, long Bytes)> DownloadAsync(string documentId)
    {
        using var call = Routing.DownloadDocument(new DownloadDocumentRequest { DocumentId = documentId }, deadline: DateTime.UtcNow.AddSeconds(60));
        DocumentPackage? package = null;
        long bytes = 0;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            var message = call.ResponseStream.Current;
            if (message.PartCase == DownloadDocumentResponse.PartOneofCase.Package)
            {
                package = message.Package;
            }
            else
            {
                bytes += message.Chunk.Data.Length;
            }
        }

        return (package, bytes);
    }

    public Task<ReportStatusResponse> ReportAsync(string documentId, Mesh.Contracts.Routing.V1.StatusCode code)
    {
        var report = new StatusReport { DocumentId = documentId, FromOrganId = OrganId, Code = code, StaffInfo = new StaffInfo { Staff = "Văn thư" } };
        var bytes = report.ToByteArray();
        return Routing.ReportStatusAsync(new ReportStatusRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Status = ByteString.CopyFrom(bytes),
            StatusSignature = ByteString.CopyFrom(SignedPdf.SignDetached(bytes, agency.SigningCertificate)),
        }).ResponseAsync;
    }

    public void Dispose() => channel.Dispose();
}
