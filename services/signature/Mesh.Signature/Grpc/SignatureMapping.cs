using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Signature.Domain;
using Proto = Mesh.Contracts.Signature.V1;

namespace Mesh.Signature.Grpc;

/// <summary>Domain report ↔ proto.</summary>
public static class SignatureMapping
{
    public static Proto.VerifyResponse ToProto(this VerificationReport report, DateTimeOffset now)
    {
        var response = new Proto.VerifyResponse { Overall = report.Indication.ToProto() };
        response.Reports.AddRange(report.Signatures.Select(s => s.ToProto(now)));
        return response;
    }

    public static Proto.SignatureReport ToProto(this SignatureReport report, DateTimeOffset now)
    {
        var proto = new Proto.SignatureReport
        {
            Indication = report.Indication.ToProto(),
            SubIndication = report.SubIndication.ToProto(),
            Reason = report.Warnings.Count == 0 ? report.Reason : $"{report.Reason} (warnings: {string.Join("; ", report.Warnings)})",
            SigningTimeFromTimestamp = report.SigningTimeSource == SigningTimeSource.Timestamp,
            SignatureAlgorithm = report.SignatureAlgorithm ?? "",
            DigestAlgorithm = report.DigestAlgorithm ?? "",
            BindingValid = report.Binding == BindingStatus.Bound,
            BindingCheck = report.Binding switch
            {
                BindingStatus.Bound => Proto.BindingCheck.Bound,
                BindingStatus.NotBound => Proto.BindingCheck.NotBound,
                _ => Proto.BindingCheck.NotChecked,
            },
            ValidationTime = Timestamp.FromDateTimeOffset(report.SigningTimeSource == SigningTimeSource.ValidationTime ? now : report.SigningTime ?? now),
        };
        if (report.Signer is { } signer)
        {
            proto.Signer = signer.ToProto(report.BoundOrganId);
        }

        if (report.SigningTime is { } signingTime)
        {
            proto.SigningTime = Timestamp.FromDateTimeOffset(signingTime);
        }

        proto.Chain.AddRange(report.Chain.Select(c => c.ToProto(null)));
        if (report.Pdf is { } pdf)
        {
            proto.SubFilter = pdf.SubFilter;
            proto.FieldName = pdf.SignerName ?? "";
            proto.CoversWholeDocument = pdf.CoversWholeDocument;
            proto.ModifiedAfterSigning = !pdf.CoversWholeDocument;
        }

        return proto;
    }

    public static Proto.SignerIdentity ToProto(this CertificateSummary certificate, string? boundOrganId) => new()
    {
        Subject = certificate.Subject,
        CommonName = certificate.CommonName ?? "",
        Organization = certificate.Organization ?? "",
        Thumbprint = certificate.Sha256Thumbprint,
        Issuer = certificate.Issuer,
        SerialNumber = certificate.SerialNumber,
        NotBefore = Timestamp.FromDateTimeOffset(certificate.NotBefore),
        NotAfter = Timestamp.FromDateTimeOffset(certificate.NotAfter),
        BoundOrganId = boundOrganId ?? "",
    };

    public static Proto.Indication ToProto(this Indication indication) => indication switch
    {
        Indication.TotalPassed => Proto.Indication.TotalPassed,
        Indication.TotalFailed => Proto.Indication.TotalFailed,
        _ => Proto.Indication.Indeterminate,
    };

    // The proto keeps the sub-indications adapters act on; the finer ETSI POE ones map to their nearest.
    public static Proto.SubIndication ToProto(this SubIndication subIndication) => subIndication switch
    {
        SubIndication.None => Proto.SubIndication.Unspecified,
        SubIndication.FormatFailure => Proto.SubIndication.FormatFailure,
        SubIndication.HashFailure => Proto.SubIndication.HashFailure,
        SubIndication.SigCryptoFailure => Proto.SubIndication.SigCryptoFailure,
        SubIndication.Revoked or SubIndication.RevokedNoPoe or SubIndication.RevokedCaNoPoe => Proto.SubIndication.Revoked,
        SubIndication.Expired or SubIndication.OutOfBoundsNoPoe => Proto.SubIndication.Expired,
        SubIndication.NotYetValid => Proto.SubIndication.NotYetValid,
        SubIndication.NoCertificateChainFound or SubIndication.CertificateChainGeneralFailure => Proto.SubIndication.NoCertificateChainFound,
        SubIndication.ChainConstraintsFailure => Proto.SubIndication.ChainConstraintsFailure,
        SubIndication.CryptoConstraintsFailure => Proto.SubIndication.CryptoConstraintsFailure,
        SubIndication.TryLater or SubIndication.RevocationOutOfBoundsNoPoe => Proto.SubIndication.TryLater,
        SubIndication.SignedDataNotFound => Proto.SubIndication.SignedDataNotFound,
        SubIndication.NoSigningCertificateFound => Proto.SubIndication.NoSigningCertificateFound,
        SubIndication.SigConstraintsFailure => Proto.SubIndication.SigConstraintsFailure,
        _ => Proto.SubIndication.Unspecified,
    };

    public static ByteString ToByteString(this byte[] bytes) => ByteString.CopyFrom(bytes);
}
