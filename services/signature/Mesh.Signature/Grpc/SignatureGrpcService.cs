using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Mesh.Errors;
using Mesh.ServiceDefaults.Identity;
using Mesh.Signature.Domain.Pki;
using Mesh.Signature.Infrastructure;
using Proto = Mesh.Contracts.Signature.V1;

namespace Mesh.Signature.Grpc;

/// <summary>Validates requests, maps proto ↔ domain and calls the verifier; a failed signature is a report, not an RPC error.</summary>
public sealed class SignatureGrpcService(
    SignatureVerifier verifier,
    HubSigningKey hubKey,
    CallerAccessor callers,
    TimeProvider time) : Proto.SignatureService.SignatureServiceBase
{
    public override async Task<Proto.VerifyResponse> Verify(Proto.VerifyRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        if (request.Content.IsEmpty)
        {
            throw MeshException.Invalid("CONTENT_REQUIRED", "content", "is empty");
        }

        var organ = string.IsNullOrEmpty(request.ExpectedOrganId) ? null : request.ExpectedOrganId;
        DateTimeOffset? at = request.ValidationTime?.ToDateTimeOffset();
        var ct = context.CancellationToken;
        var report = request.Format switch
        {
            Proto.SignatureFormat.Cms => await verifier.VerifyCmsAsync(request.Content.Memory, request.DetachedContent.IsEmpty ? null : request.DetachedContent.Memory, organ, at, ct).ConfigureAwait(false),
            Proto.SignatureFormat.Pdf => await verifier.VerifyPdfAsync(request.Content.Memory, organ, at, ct).ConfigureAwait(false),
            Proto.SignatureFormat.Xml => await verifier.VerifyXmlAsync(request.Content.Memory, organ, at, ct).ConfigureAwait(false),
            _ => throw MeshException.Invalid("SIGNATURE_FORMAT_REQUIRED", "format", "must be CMS, PDF or XML"),
        };
        return report.ToProto(time.GetUtcNow());
    }

    public override async Task<Proto.ValidateCertificateResponse> ValidateCertificate(Proto.ValidateCertificateRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        if (request.Certificate.IsEmpty)
        {
            throw MeshException.Invalid("CERTIFICATE_REQUIRED", "certificate", "is empty");
        }

        var certificate = Der(request.Certificate.Memory);
        var purpose = request.Usage == Proto.CertificateUsage.ClientTls ? KeyPurpose.ClientTls : KeyPurpose.DocumentSigning;
        var report = await verifier.ValidateCertificateAsync(
            certificate,
            [.. request.Intermediates.Select(i => Der(i.Memory))],
            [.. request.Crls.Select(c => c.Memory)],
            request.ValidationTime?.ToDateTimeOffset(),
            purpose,
            context.CancellationToken).ConfigureAwait(false);
        return new Proto.ValidateCertificateResponse { Report = report.ToProto(time.GetUtcNow()) };
    }

    public override async Task<Proto.SignResponse> Sign(Proto.SignRequest request, ServerCallContext context)
    {
        // Only other hub services may use the hub's key (receipts, checkpoints); proto: HUB_SERVICE_ONLY.
        await callers.RequireHubServiceAsync(context).ConfigureAwait(false);
        if (request.Data.IsEmpty)
        {
            throw MeshException.Invalid("DATA_REQUIRED", "data", "is empty");
        }

        return new Proto.SignResponse { CmsSignature = hubKey.Sign(request.Data.Span).ToByteString() };
    }

    public override Task<Proto.GetSigningCertificateResponse> GetSigningCertificate(Proto.GetSigningCertificateRequest request, ServerCallContext context) =>
        Task.FromResult(new Proto.GetSigningCertificateResponse { CertificateDer = hubKey.Certificate.RawData.ToByteString() });

    // The proto accepts DER or PEM for the certificate under test.
    private static ReadOnlyMemory<byte> Der(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > 10 && bytes.Span.StartsWith("-----BEGIN"u8))
        {
            try
            {
                return X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(bytes.Span)).RawData;
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw MeshException.Invalid("CERTIFICATE_MALFORMED", "certificate", e.Message);
            }
        }

        return bytes;
    }
}
