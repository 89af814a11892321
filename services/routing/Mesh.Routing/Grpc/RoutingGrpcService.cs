using Grpc.Core;
using Mesh.Contracts.Routing.V1;
using Mesh.Errors;
using Mesh.Routing.Domain;
using Mesh.Routing.Infrastructure;
using Mesh.ServiceDefaults.Identity;

namespace Mesh.Routing.Grpc;

/// <summary>The agency-facing API: authenticates the caller, maps messages, calls the exchange.</summary>
internal sealed class RoutingGrpcService(CallerAccessor callers, DocumentExchange exchange, DeliveryOperations deliveries, UploadStatusQuery uploads) : RoutingService.RoutingServiceBase
{
    public override async Task<SendDocumentResponse> SendDocument(IAsyncStreamReader<SendDocumentRequest> requestStream, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var ct = context.CancellationToken;
        SendDocumentHeader? header = null;
        if (await requestStream.MoveNext(ct).ConfigureAwait(false))
        {
            header = requestStream.Current.PartCase == SendDocumentRequest.PartOneofCase.Header
                ? requestStream.Current.Header
                : throw MeshException.Invalid(RoutingReasons.ManifestRequired, "header", "the first message must be the header");
        }

        async ValueTask<AttachmentChunk?> NextChunk(CancellationToken token)
        {
            if (!await requestStream.MoveNext(token).ConfigureAwait(false))
            {
                return null;
            }

            return requestStream.Current.PartCase == SendDocumentRequest.PartOneofCase.Chunk
                ? requestStream.Current.Chunk
                : throw MeshException.Invalid(RoutingReasons.ManifestMalformed, "header", "only the first message carries a header");
        }

        return await exchange.SendAsync(caller.OrganId, header, NextChunk, ct).ConfigureAwait(false);
    }

    public override async Task<GetUploadStatusResponse> GetUploadStatus(GetUploadStatusRequest request, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        return await uploads.GetAsync(caller.OrganId, request.RequestId, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<ListInboxResponse> ListInbox(ListInboxRequest request, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        return await deliveries.ListAsync(caller.OrganId, request, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task WatchInbox(WatchInboxRequest request, IServerStreamWriter<WatchInboxResponse> responseStream, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        try
        {
            await deliveries.WatchAsync(caller.OrganId, request.Cursor, request.Kind, m => responseStream.WriteAsync(m, context.CancellationToken), context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away: a watch ends only that way.
        }
    }

    public override async Task DownloadDocument(DownloadDocumentRequest request, IServerStreamWriter<DownloadDocumentResponse> responseStream, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        await deliveries.DownloadAsync(caller.OrganId, request, m => responseStream.WriteAsync(m, context.CancellationToken), context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<AcknowledgeDeliveryResponse> AcknowledgeDelivery(AcknowledgeDeliveryRequest request, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        return await deliveries.AcknowledgeAsync(caller.OrganId, request, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<ReportStatusResponse> ReportStatus(ReportStatusRequest request, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        return await deliveries.ReportStatusAsync(caller.OrganId, request, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<GetDocumentTraceResponse> GetDocumentTrace(GetDocumentTraceRequest request, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        return await deliveries.TraceAsync(caller.OrganId, request.DocumentId, context.CancellationToken).ConfigureAwait(false);
    }
}
