using Google.Protobuf;
using Mesh.Contracts.Routing.V1;
using Mesh.Errors;
using Mesh.Routing.Domain;
using Mesh.State;

namespace Mesh.Routing.Infrastructure;

/// <summary>GetUploadStatus: the receipt of an accepted send, or what an interrupted one staged.</summary>
internal sealed class UploadStatusQuery(IStateStore store, DocumentExchange exchange, UploadStaging uploads)
{
    public async Task<GetUploadStatusResponse> GetAsync(string caller, string requestId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(requestId) || requestId.Length > 128)
        {
            throw MeshException.Invalid(RoutingReasons.RequestIdInvalid, "request_id", "must be 1 to 128 characters");
        }

        await uploads.WaitForRecordingAsync(caller, requestId, cancellationToken).ConfigureAwait(false);
        var accepted = await store.GetAsync(RoutingKeys.Request(caller, "send", requestId), cancellationToken).ConfigureAwait(false);
        if (accepted is not null)
        {
            var request = Stored.Read(accepted, RoutingJson.Default.RequestRecord);
            var document = await exchange.FindDocumentAsync(request.ResultId, cancellationToken).ConfigureAwait(false)
                ?? throw new MeshException(ErrorKind.Internal, "DOCUMENT_MISSING", $"Request record points at missing document {request.ResultId}.");
            var (receipt, record) = await exchange.CompleteReceiptAsync(document.Record, cancellationToken).ConfigureAwait(false);
            return new GetUploadStatusResponse
            {
                ManifestSha256 = ByteString.CopyFrom(Convert.FromHexString(document.Record.ManifestSha256)),
                Accepted = new SendDocumentResponse { Receipt = receipt, ReceiptBytes = ByteString.CopyFrom(record.ReceiptBytes), ReceiptSignature = ByteString.CopyFrom(record.Signature) },
            };
        }

        return await uploads.StatusAsync(caller, requestId, cancellationToken).ConfigureAwait(false)
            ?? throw MeshException.NotFound(RoutingReasons.UploadNotFound, "upload", requestId);
    }
}
