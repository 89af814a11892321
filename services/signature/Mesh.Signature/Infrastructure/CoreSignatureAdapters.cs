using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain;
using Mesh.Signing;

namespace Mesh.Signature.Infrastructure;

/// <summary>
/// The send path's view of the signature engine (<see cref="ISignatureVerifier"/> in Mesh.Core):
/// the engine verifies; this only maps its ETSI report onto <see cref="SignatureCheck"/>.
/// A signature that is cryptographically and chain-valid but whose signer is not bound to the
/// expected agency is reported with the sub-indication <c>SIGNER_NOT_BOUND</c> (the engine's
/// SIG_CONSTRAINTS_FAILURE with binding NotBound), so callers can tell a forged or broken
/// signature from a valid one by the wrong key.
/// </summary>
public sealed class CoreSignatureVerifier(SignatureVerifier verifier) : ISignatureVerifier
{
    /// <summary>Sub-indication for a valid signature by a certificate not bound to the expected agency.</summary>
    public const string SignerNotBound = "SIGNER_NOT_BOUND";

    public async ValueTask<SignatureCheck> VerifyDetachedAsync(ReadOnlyMemory<byte> content, ReadOnlyMemory<byte> cmsSignature, string expectedOrganId, CancellationToken cancellationToken = default)
    {
        var report = await verifier.VerifyCmsAsync(cmsSignature, content, expectedOrganId, cancellationToken).ConfigureAwait(false);
        if (report.Signatures.Count == 0)
        {
            return new SignatureCheck(Signing.SignatureIndication.TotalFailed, SubIndication.FormatFailure.Code(), "no signer in the CMS signature");
        }

        // Every signer must pass; report the first that does not, else the first.
        var chosen = report.Signatures.FirstOrDefault(s => !s.Passed) ?? report.Signatures[0];
        return Map(chosen);
    }

    public async ValueTask<IReadOnlyList<SignatureCheck>> VerifyPdfAsync(Stream pdf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pdf);
        ReadOnlyMemory<byte> bytes;
        if (pdf is MemoryStream memory && memory.TryGetBuffer(out var segment))
        {
            bytes = segment.AsMemory((int)memory.Position);
        }
        else
        {
            using var copy = new MemoryStream();
            await pdf.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            bytes = copy.ToArray();
        }

        // The port promises an empty list for an unsigned PDF; the engine reports that as a failure.
        if (bytes.Span.IndexOf("/ByteRange"u8) < 0)
        {
            return [];
        }

        var report = await verifier.VerifyPdfAsync(bytes, null, cancellationToken).ConfigureAwait(false);
        return [.. report.Signatures.Select(Map)];
    }

    private static SignatureCheck Map(SignatureReport report)
    {
        var indication = report.Indication switch
        {
            Indication.TotalPassed => Signing.SignatureIndication.TotalPassed,
            Indication.TotalFailed => Signing.SignatureIndication.TotalFailed,
            _ => Signing.SignatureIndication.Indeterminate,
        };
        var sub = report.Passed ? "" : report.Binding == BindingStatus.NotBound ? SignerNotBound : report.SubIndication.Code();
        return new SignatureCheck(indication, sub, report.Reason)
        {
            SignerSubject = report.Signer?.Subject ?? "",
            SignerOrganization = report.Signer?.Organization ?? "",
            SignerThumbprint = report.Signer?.Sha256Thumbprint ?? "",
            BoundOrganId = report.BoundOrganId ?? "",
            SigningTime = report.SigningTime,
        };
    }
}

/// <summary>The hub's receipt signer (<see cref="IHubSigner"/>) over <see cref="HubSigningKey"/>.</summary>
public sealed class CoreHubSigner(HubSigningKey key) : IHubSigner
{
    public X509Certificate2 Certificate => key.Certificate;

    public ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, string purpose, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(key.Sign(data.Span));
}

/// <summary>
/// The Mesh.Core <see cref="ICertificateValidator"/> port over the engine's <c>ValidateCertificate</c>: the
/// registry refuses to bind a certificate with the same RFC 5280 path validation (and the same CRLs) that
/// signatures are checked with.
/// </summary>
public sealed class CoreCertificateValidator(SignatureVerifier verifier) : ICertificateValidator
{
    public async ValueTask<CertificateCheck> ValidateAsync(
        ReadOnlyMemory<byte> certificateDer,
        IReadOnlyList<ReadOnlyMemory<byte>> intermediates,
        CertificateUsage usage,
        DateTimeOffset at,
        bool requireRevocationData,
        CancellationToken cancellationToken)
    {
        var purpose = usage == CertificateUsage.ClientTls ? Domain.Pki.KeyPurpose.ClientTls : Domain.Pki.KeyPurpose.DocumentSigning;
        var report = await verifier.ValidateCertificateAsync(certificateDer, intermediates, [], at, purpose, requireRevocationData, cancellationToken).ConfigureAwait(false);
        var indication = report.Indication switch
        {
            Indication.TotalPassed => Signing.SignatureIndication.TotalPassed,
            Indication.TotalFailed => Signing.SignatureIndication.TotalFailed,
            _ => Signing.SignatureIndication.Indeterminate,
        };
        return new CertificateCheck(indication, report.Passed ? "" : report.SubIndication.Code(), report.Reason) { Warnings = report.Warnings };
    }
}
