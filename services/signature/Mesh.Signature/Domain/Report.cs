namespace Mesh.Signature.Domain;

/// <summary>ETSI EN 319 102-1 §5.1.3 main status indication.</summary>
public enum Indication
{
    TotalPassed,
    TotalFailed,
    Indeterminate,
}

/// <summary>ETSI EN 319 102-1 §5.1.3 sub-indications (Table 5 and Table 6).</summary>
public enum SubIndication
{
    None,
    // TOTAL-FAILED
    FormatFailure,
    HashFailure,
    SigCryptoFailure,
    Revoked,
    Expired,
    NotYetValid,
    // INDETERMINATE
    SigConstraintsFailure,
    ChainConstraintsFailure,
    CertificateChainGeneralFailure,
    CryptoConstraintsFailure,
    RevokedNoPoe,
    RevokedCaNoPoe,
    RevocationOutOfBoundsNoPoe,
    OutOfBoundsNoPoe,
    NoCertificateChainFound,
    NoSigningCertificateFound,
    SignedDataNotFound,
    TryLater,
}

public static class SubIndications
{
    // EN 319 102-1 Table 5 lists the TOTAL-FAILED sub-indications; everything else is INDETERMINATE (Table 6).
    public static Indication IndicationOf(SubIndication subIndication) => subIndication switch
    {
        SubIndication.None => Indication.TotalPassed,
        SubIndication.FormatFailure or SubIndication.HashFailure or SubIndication.SigCryptoFailure
            or SubIndication.Revoked or SubIndication.Expired or SubIndication.NotYetValid => Indication.TotalFailed,
        _ => Indication.Indeterminate,
    };

    /// <summary>The ETSI spelling (FORMAT_FAILURE …), stable for logs, metrics and the wire.</summary>
    public static string Code(this SubIndication subIndication) => subIndication switch
    {
        SubIndication.None => "NONE",
        SubIndication.FormatFailure => "FORMAT_FAILURE",
        SubIndication.HashFailure => "HASH_FAILURE",
        SubIndication.SigCryptoFailure => "SIG_CRYPTO_FAILURE",
        SubIndication.Revoked => "REVOKED",
        SubIndication.Expired => "EXPIRED",
        SubIndication.NotYetValid => "NOT_YET_VALID",
        SubIndication.SigConstraintsFailure => "SIG_CONSTRAINTS_FAILURE",
        SubIndication.ChainConstraintsFailure => "CHAIN_CONSTRAINTS_FAILURE",
        SubIndication.CertificateChainGeneralFailure => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
        SubIndication.CryptoConstraintsFailure => "CRYPTO_CONSTRAINTS_FAILURE",
        SubIndication.RevokedNoPoe => "REVOKED_NO_POE",
        SubIndication.RevokedCaNoPoe => "REVOKED_CA_NO_POE",
        SubIndication.RevocationOutOfBoundsNoPoe => "REVOCATION_OUT_OF_BOUNDS_NO_POE",
        SubIndication.OutOfBoundsNoPoe => "OUT_OF_BOUNDS_NO_POE",
        SubIndication.NoCertificateChainFound => "NO_CERTIFICATE_CHAIN_FOUND",
        SubIndication.NoSigningCertificateFound => "NO_SIGNING_CERTIFICATE_FOUND",
        SubIndication.SignedDataNotFound => "SIGNED_DATA_NOT_FOUND",
        SubIndication.TryLater => "TRY_LATER",
        _ => throw new ArgumentOutOfRangeException(nameof(subIndication), subIndication, null),
    };

    public static string Code(this Indication indication) => indication switch
    {
        Indication.TotalPassed => "TOTAL_PASSED",
        Indication.TotalFailed => "TOTAL_FAILED",
        Indication.Indeterminate => "INDETERMINATE",
        _ => throw new ArgumentOutOfRangeException(nameof(indication), indication, null),
    };
}

/// <summary>A reason a signature or certificate did not pass, as ETSI sub-indication plus human text.</summary>
public sealed record Finding(SubIndication SubIndication, string Reason)
{
    public Indication Indication => SubIndications.IndicationOf(SubIndication);
}

public enum SignatureFormat
{
    Cms,
    CadesBes,
    Pades,
    XmlDsig,
    Certificate,
}

public enum SigningTimeSource
{
    /// <summary>No claimed time: the validation time was used.</summary>
    ValidationTime,
    /// <summary>The CMS signing-time signed attribute (a claim by the signer, no proof of existence).</summary>
    SigningTimeAttribute,
    /// <summary>The /M entry of the PDF signature dictionary (a claim by the signer).</summary>
    PdfSignatureDictionary,
    /// <summary>genTime of a verified RFC 3161 time-stamp token (proof of existence).</summary>
    Timestamp,
    /// <summary>The time the caller asked about (certificate diagnostics).</summary>
    Requested,
}

public enum BindingStatus
{
    NotChecked,
    Bound,
    NotBound,
}

public sealed record CertificateSummary(
    string Subject,
    string Issuer,
    string SerialNumber,
    string Sha256Thumbprint,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string? CommonName,
    string? Organization);

/// <summary>Where a PDF signature sits in the file and what follows it.</summary>
public sealed record PdfSignatureCoverage(
    long SignedRevisionLength,
    long DocumentLength,
    string SubFilter,
    string? SignerName,
    string? SignReason)
{
    public bool CoversWholeDocument => SignedRevisionLength == DocumentLength;
    public long BytesAppendedAfterSigning => DocumentLength - SignedRevisionLength;
}

/// <summary>One signature's validation report (EN 319 102-1 §5.1.3 "validation report").</summary>
public sealed record SignatureReport
{
    public required string SignatureId { get; init; }
    public required SignatureFormat Format { get; init; }
    public required SubIndication SubIndication { get; init; }
    public required string Reason { get; init; }
    public Indication Indication => SubIndications.IndicationOf(SubIndication);
    public bool Passed => SubIndication == SubIndication.None;
    public CertificateSummary? Signer { get; init; }
    public DateTimeOffset? SigningTime { get; init; }
    public SigningTimeSource SigningTimeSource { get; init; }
    public IReadOnlyList<CertificateSummary> Chain { get; init; } = [];
    public string? DigestAlgorithm { get; init; }
    public string? SignatureAlgorithm { get; init; }
    public BindingStatus Binding { get; init; }
    public string? BoundOrganId { get; init; }
    public PdfSignatureCoverage? Pdf { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>All signatures found in one input.</summary>
public sealed record VerificationReport(SignatureFormat Format, IReadOnlyList<SignatureReport> Signatures)
{
    /// <summary>TOTAL_PASSED only if there is at least one signature and every one passed; otherwise the worst indication.</summary>
    public Indication Indication =>
        Signatures.Count == 0 ? Indication.TotalFailed
        : Signatures.Any(s => s.Indication == Indication.TotalFailed) ? Indication.TotalFailed
        : Signatures.Any(s => s.Indication == Indication.Indeterminate) ? Indication.Indeterminate
        : Indication.TotalPassed;

    public bool Passed => Indication == Indication.TotalPassed;
}
