namespace Mesh.Signing;

/// <summary>What a certificate is validated for.</summary>
public enum CertificateUsage
{
    /// <summary>Signing manifests, statuses and documents: keyUsage digitalSignature or nonRepudiation.</summary>
    DocumentSigning = 1,
    /// <summary>An agency adapter's client TLS certificate: digitalSignature and, if present, extKeyUsage clientAuth.</summary>
    ClientTls = 2,
}

/// <summary>
/// The outcome of validating one certificate path (ETSI EN 319 102-1 indication and sub-indication).
/// </summary>
/// <param name="Indication">Main indication.</param>
/// <param name="SubIndication">ETSI sub-indication name when not passed (e.g. EXPIRED, REVOKED, NO_CERTIFICATE_CHAIN_FOUND), empty otherwise.</param>
/// <param name="Reason">A sentence an operator can act on.</param>
public sealed record CertificateCheck(SignatureIndication Indication, string SubIndication, string Reason)
{
    /// <summary>Non-fatal findings (e.g. revocation not checked for lack of a CRL).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Whether the certificate passed.</summary>
    public bool Passed => Indication == SignatureIndication.TotalPassed;
}

/// <summary>
/// RFC 5280 path validation of a certificate against the registry's trust anchors and CRLs: the same
/// engine that validates signers' certificates (the signature service's <c>ValidateCertificate</c>).
/// The registry calls it before binding a certificate to an agency.
/// </summary>
public interface ICertificateValidator
{
    /// <summary>Validates <paramref name="certificateDer"/> for <paramref name="usage"/> at <paramref name="at"/>.</summary>
    /// <param name="certificateDer">The DER certificate under test.</param>
    /// <param name="intermediates">Extra DER intermediates to build the path with (besides the registry's).</param>
    /// <param name="usage">The key usage to check.</param>
    /// <param name="at">The validation time.</param>
    /// <param name="requireRevocationData">
    /// When false, a CA without any CRL in the registry does not make the result INDETERMINATE/TRY_LATER
    /// (a warning says revocation was not checked); a CRL that is present is still applied, stale or not.
    /// </param>
    /// <param name="cancellationToken">Cancels the validation.</param>
    ValueTask<CertificateCheck> ValidateAsync(
        ReadOnlyMemory<byte> certificateDer,
        IReadOnlyList<ReadOnlyMemory<byte>> intermediates,
        CertificateUsage usage,
        DateTimeOffset at,
        bool requireRevocationData,
        CancellationToken cancellationToken);
}
