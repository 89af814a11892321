using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain;
using Mesh.Signing;

namespace Mesh.Signature.Infrastructure;

/// <summary>The Mesh.Core send-path port, bound in-process by the all-in-one hub (no loopback gRPC).</summary>
public sealed class InProcessSignatureVerifier(SignatureVerifier verifier) : ISignatureVerifier
{
    public async ValueTask<SignatureCheck> VerifyDetachedAsync(ReadOnlyMemory<byte> content, ReadOnlyMemory<byte> cmsSignature, string expectedOrganId, CancellationToken cancellationToken = default)
    {
        var report = await verifier.VerifyCmsAsync(cmsSignature, content, expectedOrganId, cancellationToken).ConfigureAwait(false);
        // The manifest/status must carry signatures and all of them must pass: report the first that does not.
        var decisive = report.Signatures.FirstOrDefault(s => !s.Passed) ?? report.Signatures[0];
        return ToCheck(decisive);
    }

    public async ValueTask<IReadOnlyList<SignatureCheck>> VerifyPdfAsync(Stream pdf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pdf);
        using var buffer = new MemoryStream();
        await pdf.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        var report = await verifier.VerifyPdfAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), null, cancellationToken).ConfigureAwait(false);
        // The port promises an empty list for a PDF without signatures; routing decides what that means.
        if (report.Signatures is [{ Signer: null, SubIndication: SubIndication.FormatFailure, Reason: var reason }] && reason.Contains("no signature", StringComparison.Ordinal))
        {
            return [];
        }

        return [.. report.Signatures.Select(ToCheck)];
    }

    private static SignatureCheck ToCheck(SignatureReport report) => new(
        report.Indication switch
        {
            Indication.TotalPassed => SignatureIndication.TotalPassed,
            Indication.TotalFailed => SignatureIndication.TotalFailed,
            _ => SignatureIndication.Indeterminate,
        },
        report.Passed ? "" : report.SubIndication.Code(),
        report.Warnings.Count == 0 ? report.Reason : $"{report.Reason} (warnings: {string.Join("; ", report.Warnings)})")
    {
        SignerSubject = report.Signer?.Subject ?? "",
        SignerOrganization = report.Signer?.Organization ?? "",
        SignerThumbprint = report.Signer?.Sha256Thumbprint ?? "",
        BoundOrganId = report.BoundOrganId ?? "",
        SigningTime = report.SigningTime,
    };
}

/// <summary>The Mesh.Core hub-signer port over <see cref="HubSigningKey"/>.</summary>
public sealed class InProcessHubSigner(HubSigningKey key) : IHubSigner
{
    public X509Certificate2 Certificate => key.Certificate;

    public ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, string purpose, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(key.Sign(data.Span));
    }
}
