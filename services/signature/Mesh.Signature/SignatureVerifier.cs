using System.Diagnostics;
using Mesh.Signature.Domain;
using Mesh.Signature.Domain.Pki;
using Mesh.Signature.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Mesh.Signature;

/// <summary>The signature service's entry points: verify CMS, PDF and edXML inputs; validate a certificate.</summary>
public sealed partial class SignatureVerifier(
    SignatureValidation validation,
    CmsSignatureReader cms,
    PdfSignatureReader pdf,
    XmlSignatureReader xml,
    SignatureTelemetry telemetry,
    ILogger<SignatureVerifier> logger)
{
    public ChainCache ChainCache => validation.Chains;

    /// <summary>A CMS/CAdES signature, attached (content null) or detached.</summary>
    public ValueTask<VerificationReport> VerifyCmsAsync(ReadOnlyMemory<byte> signature, ReadOnlyMemory<byte>? content, string? expectedOrganId, CancellationToken cancellationToken) =>
        VerifyCmsAsync(signature, content, expectedOrganId, null, cancellationToken);

    /// <param name="validationTime">Validate the certificate path at this time instead of the signing time.</param>
    public ValueTask<VerificationReport> VerifyCmsAsync(ReadOnlyMemory<byte> signature, ReadOnlyMemory<byte>? content, string? expectedOrganId, DateTimeOffset? validationTime, CancellationToken cancellationToken) =>
        RunAsync(SignatureFormat.Cms, expectedOrganId, validationTime, ct => cms.ReadAsync(signature, content is { } c ? [c] : null, SignatureFormat.Cms, "cms", ct), cancellationToken);

    /// <summary>Every signature of a PDF (PAdES / adbe.pkcs7.detached).</summary>
    public ValueTask<VerificationReport> VerifyPdfAsync(ReadOnlyMemory<byte> document, string? expectedOrganId, CancellationToken cancellationToken) =>
        VerifyPdfAsync(document, expectedOrganId, null, cancellationToken);

    /// <param name="validationTime">Validate the certificate path at this time instead of the signing time.</param>
    public ValueTask<VerificationReport> VerifyPdfAsync(ReadOnlyMemory<byte> document, string? expectedOrganId, DateTimeOffset? validationTime, CancellationToken cancellationToken) =>
        RunAsync(SignatureFormat.Pades, expectedOrganId, validationTime, ct => pdf.ReadAsync(document, ct), cancellationToken);

    /// <summary>The enveloped XML-DSig signature of an edXML package.</summary>
    public ValueTask<VerificationReport> VerifyXmlAsync(ReadOnlyMemory<byte> document, string? expectedOrganId, CancellationToken cancellationToken) =>
        VerifyXmlAsync(document, expectedOrganId, null, cancellationToken);

    /// <param name="validationTime">Validate the certificate path at this time instead of the signing time.</param>
    public ValueTask<VerificationReport> VerifyXmlAsync(ReadOnlyMemory<byte> document, string? expectedOrganId, DateTimeOffset? validationTime, CancellationToken cancellationToken) =>
        RunAsync(SignatureFormat.XmlDsig, expectedOrganId, validationTime, ct => xml.ReadAsync(document, ct), cancellationToken);

    /// <summary>
    /// Certificate diagnostics: validates <paramref name="certificate"/> at <paramref name="at"/> (default now)
    /// with optional caller-supplied intermediates and CRLs, and reports like a signature.
    /// </summary>
    public ValueTask<SignatureReport> ValidateCertificateAsync(
        ReadOnlyMemory<byte> certificate,
        IReadOnlyList<ReadOnlyMemory<byte>> intermediates,
        IReadOnlyList<ReadOnlyMemory<byte>> crls,
        DateTimeOffset? at,
        CancellationToken cancellationToken) =>
        ValidateCertificateAsync(certificate, intermediates, crls, at, KeyPurpose.DocumentSigning, cancellationToken);

    /// <summary>Certificate diagnostics for a given key purpose (document signing or client TLS).</summary>
    public ValueTask<SignatureReport> ValidateCertificateAsync(
        ReadOnlyMemory<byte> certificate,
        IReadOnlyList<ReadOnlyMemory<byte>> intermediates,
        IReadOnlyList<ReadOnlyMemory<byte>> crls,
        DateTimeOffset? at,
        KeyPurpose purpose,
        CancellationToken cancellationToken) =>
        ValidateCertificateAsync(certificate, intermediates, crls, at, purpose, validation.Options.RequireRevocationData, cancellationToken);

    /// <param name="requireRevocationData">
    /// False: a CA without any CRL does not make the result TRY_LATER (the registry binding a certificate
    /// before its CA's first CRL is published); a CRL that exists is still applied.
    /// </param>
    public async ValueTask<SignatureReport> ValidateCertificateAsync(
        ReadOnlyMemory<byte> certificate,
        IReadOnlyList<ReadOnlyMemory<byte>> intermediates,
        IReadOnlyList<ReadOnlyMemory<byte>> crls,
        DateTimeOffset? at,
        KeyPurpose purpose,
        bool requireRevocationData,
        CancellationToken cancellationToken)
    {
        using var activity = SignatureTelemetry.ActivitySource.StartActivity("ValidateCertificate");
        var when = at ?? validation.Time.GetUtcNow();
        CertificateFacts leaf;
        var extra = new List<CertificateFacts>();
        var extraCrls = new List<RevocationList>();
        var warnings = new List<string>();
        try
        {
            leaf = validation.Certificates.Get(certificate.Span);
            foreach (var intermediate in intermediates)
            {
                extra.Add(validation.Certificates.Get(intermediate.Span));
            }
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or System.Formats.Asn1.AsnContentException)
        {
            return Certificate(SubIndication.FormatFailure, $"not a valid X.509 certificate: {e.Message}", null, when, [], []);
        }

        foreach (var crl in crls)
        {
            if (RevocationList.TryParse(crl.ToArray(), out var parsed, out var error))
            {
                extraCrls.Add(parsed!);
            }
            else
            {
                warnings.Add($"a supplied CRL is malformed and was ignored: {error}");
            }
        }

        var result = await validation.ValidateChainAsync(leaf, extra, extraCrls, when, timeIsProven: true, purpose, requireRevocationData, cancellationToken).ConfigureAwait(false);
        warnings.AddRange(result.Warnings);
        var report = result.Failure is { } failure
            ? Certificate(failure.SubIndication, failure.Reason, leaf, when, result.Path, warnings)
            : Certificate(SubIndication.None, $"certificate valid at {when:O}", leaf, when, result.Path, warnings);
        telemetry.Verifications.Add(1, new("format", "certificate"), new("indication", report.Indication.Code()));
        return report;
    }

    private static SignatureReport Certificate(SubIndication sub, string reason, CertificateFacts? leaf, DateTimeOffset at, IReadOnlyList<CertificateFacts> path, List<string> warnings) => new()
    {
        SignatureId = "certificate",
        Format = SignatureFormat.Certificate,
        SubIndication = sub,
        Reason = reason,
        Signer = leaf?.Summary,
        SigningTime = at,
        SigningTimeSource = SigningTimeSource.Requested,
        Chain = [.. path.Select(p => p.Summary)],
        Warnings = warnings,
    };

    private async ValueTask<VerificationReport> RunAsync(
        SignatureFormat format,
        string? expectedOrganId,
        DateTimeOffset? validationTime,
        Func<CancellationToken, ValueTask<List<SignatureEvidence>>> read,
        CancellationToken cancellationToken)
    {
        var formatName = format switch
        {
            SignatureFormat.Pades => "pades",
            SignatureFormat.XmlDsig => "xmldsig",
            _ => "cms",
        };
        using var activity = SignatureTelemetry.ActivitySource.StartActivity("Verify");
        activity?.SetTag("mesh.signature.format", formatName);
        var started = Stopwatch.GetTimestamp();
        var hits = validation.Chains.Hits;
        var misses = validation.Chains.Misses;

        var evidence = await read(cancellationToken).ConfigureAwait(false);
        var reports = new SignatureReport[evidence.Count];
        for (var i = 0; i < evidence.Count; i++)
        {
            reports[i] = await validation.CompleteAsync(evidence[i], expectedOrganId, validationTime, cancellationToken).ConfigureAwait(false);
        }

        var report = new VerificationReport(format, reports);
        var indication = report.Indication.Code();
        if (telemetry.Verifications.Enabled)
        {
            telemetry.Verifications.Add(reports.Length, new("format", formatName), new("indication", indication));
        }

        if (telemetry.VerificationDuration.Enabled)
        {
            telemetry.VerificationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("format", formatName));
        }

        telemetry.ChainCacheHits.Add(validation.Chains.Hits - hits);
        telemetry.ChainCacheMisses.Add(validation.Chains.Misses - misses);
        activity?.SetTag("mesh.signature.indication", indication);
        if (!report.Passed)
        {
            var first = reports.FirstOrDefault(r => !r.Passed);
            LogRefused(logger, format, indication, first?.SubIndication.Code() ?? "NONE", first?.Reason ?? "no signature");
        }

        return report;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Format} signature not accepted: {Indication}/{SubIndication}: {Reason}")]
    private static partial void LogRefused(ILogger logger, SignatureFormat format, string indication, string subIndication, string reason);
}
