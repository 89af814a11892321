using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain.Crypto;

namespace Mesh.Signature.Domain.Pki;

/// <summary>An X.509 certificate decoded once: what path validation and signer matching need.</summary>
public sealed class CertificateFacts
{
    private static readonly HashSet<string> s_understoodExtensions =
    [
        "2.5.29.19", // basicConstraints
        "2.5.29.15", // keyUsage
        "2.5.29.37", // extKeyUsage
        "2.5.29.14", // subjectKeyIdentifier
        "2.5.29.35", // authorityKeyIdentifier
        "2.5.29.17", // subjectAltName
        "2.5.29.18", // issuerAltName
        "2.5.29.31", // cRLDistributionPoints
        "2.5.29.32", // certificatePolicies (any policy accepted: no policy constraints in TT 41)
        "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
    ];

    private PublicKeyVerifier? _key;

    public CertificateFacts(X509Certificate2 certificate)
    {
        Certificate = certificate;
        Thumbprint = Convert.ToHexString(SHA256.HashData(certificate.RawData));
        var reader = new AsnReader(certificate.RawData, AsnEncodingRules.DER).ReadSequence();
        Tbs = reader.ReadEncodedValue();
        var (oid, parameters) = Algorithms.ReadAlgorithmIdentifier(reader);
        SignatureAlgorithm = Algorithms.FromOid(oid, parameters);
        SignatureValue = reader.ReadBitString(out _);
        reader.ThrowIfNotEmpty();

        SubjectKey = NameKey(certificate.SubjectName);
        IssuerKey = NameKey(certificate.IssuerName);
        SerialHex = NormaliseSerial(certificate.SerialNumberBytes.Span);
        NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        IsSelfIssued = SubjectKey == IssuerKey;

        foreach (var extension in certificate.Extensions)
        {
            switch (extension)
            {
                case X509BasicConstraintsExtension bc:
                    HasBasicConstraints = true;
                    IsCa = bc.CertificateAuthority;
                    PathLengthConstraint = bc.HasPathLengthConstraint ? bc.PathLengthConstraint : null;
                    break;
                case X509KeyUsageExtension ku:
                    KeyUsage = ku.KeyUsages;
                    break;
                case X509SubjectKeyIdentifierExtension ski:
                    SubjectKeyIdentifier = ski.SubjectKeyIdentifier;
                    break;
                case X509AuthorityKeyIdentifierExtension aki:
                    AuthorityKeyIdentifier = aki.KeyIdentifier is { } id ? Convert.ToHexString(id.Span) : null;
                    break;
                case X509EnhancedKeyUsageExtension eku:
                    ExtendedKeyUsages = [.. eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value ?? "")];
                    break;
            }

            if (extension.Critical && extension.Oid?.Value is { } extOid && !s_understoodExtensions.Contains(extOid))
            {
                UnknownCriticalExtensions.Add(extOid);
            }
        }

        Summary = new CertificateSummary(
            certificate.Subject,
            certificate.Issuer,
            certificate.SerialNumber,
            Thumbprint,
            NotBefore,
            NotAfter,
            NullIfEmpty(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)),
            ReadAttribute(certificate.SubjectName, "2.5.4.10"));
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>Upper-case hex SHA-256 of the DER (the registry's binding key and the cache key).</summary>
    public string Thumbprint { get; }

    public ReadOnlyMemory<byte> Tbs { get; }

    public SignatureAlgorithm SignatureAlgorithm { get; }

    public byte[] SignatureValue { get; }

    public string SubjectKey { get; }

    public string IssuerKey { get; }

    public string SerialHex { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    public bool IsSelfIssued { get; }

    public bool HasBasicConstraints { get; }

    public bool IsCa { get; }

    public int? PathLengthConstraint { get; }

    public X509KeyUsageFlags? KeyUsage { get; }

    public string? SubjectKeyIdentifier { get; }

    public string? AuthorityKeyIdentifier { get; }

    public IReadOnlyList<string>? ExtendedKeyUsages { get; }

    public List<string> UnknownCriticalExtensions { get; } = [];

    public CertificateSummary Summary { get; }

    public PublicKeyVerifier Key => _key ??= PublicKeyVerifier.FromCertificate(Certificate);

    /// <summary>Whether <paramref name="issuer"/>'s key verifies this certificate's signature (policy not applied).</summary>
    public bool IsSignedBy(CertificateFacts issuer)
    {
        try
        {
            return CryptoPolicy.KeyMatches(SignatureAlgorithm, issuer.Key) && issuer.Key.Verify(SignatureAlgorithm, Tbs.Span, SignatureValue);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// RFC 5280 §7.1 compares names after stringprep (case-insensitive, whitespace-folded); the
    /// RFC 4514 rendering upper-cased is a close, deterministic approximation for the names CAs issue.
    /// </summary>
    public static string NameKey(X500DistinguishedName name) =>
        string.Join(',', name.Format(false).Split([',', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim())).ToUpperInvariant();

    public static string NormaliseSerial(ReadOnlySpan<byte> bigEndian)
    {
        while (bigEndian.Length > 1 && bigEndian[0] == 0)
        {
            bigEndian = bigEndian[1..];
        }

        return Convert.ToHexString(bigEndian);
    }

    private static string? ReadAttribute(X500DistinguishedName name, string oid)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.GetSingleElementType().Value == oid)
            {
                return rdn.GetSingleElementValue();
            }
        }

        return null;
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}
