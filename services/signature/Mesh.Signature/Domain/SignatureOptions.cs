using System.ComponentModel.DataAnnotations;

namespace Mesh.Signature.Domain;

/// <summary>Bound from configuration section <c>Mesh:Signature</c>.</summary>
public sealed class SignatureOptions
{
    public const string SectionName = "Mesh:Signature";

    /// <summary>TT 41/2017 via TT 39/2017 national standards list: RSA at least 2048 bits.</summary>
    [Range(1024, 16384)]
    public int MinimumRsaKeyBits { get; set; } = 2048;

    /// <summary>Hash algorithms accepted in signatures and certificates (MD5 and SHA-1 are collision-broken).</summary>
    public IList<string> AllowedDigests { get; set; } = ["SHA256", "SHA384", "SHA512"];

    /// <summary>Named curves accepted for ECDSA, by OID friendly name.</summary>
    public IList<string> AllowedCurves { get; set; } = ["nistP256", "nistP384", "nistP521"];

    /// <summary>Accept RSASSA-PSS in addition to PKCS#1 v1.5.</summary>
    public bool AllowRsaPss { get; set; } = true;

    /// <summary>Without a CRL from every CA in the path the result is INDETERMINATE/TRY_LATER (RFC 5280 §6.3).</summary>
    public bool RequireRevocationData { get; set; } = true;

    /// <summary>OCSP is not implemented; CRLs come from the registry. Must stay false.</summary>
    public bool EnableOcsp { get; set; }

    /// <summary>Tolerated clock difference for signing times and CRL thisUpdate/nextUpdate.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    [Range(1, 16)]
    public int MaxPathLength { get; set; } = 8;

    [Range(16, 1_000_000)]
    public int ChainCacheCapacity { get; set; } = 10_000;

    /// <summary>Upper bound on an XML package (edXML) accepted for XML-DSig verification.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxXmlBytes { get; set; } = 64 * 1024 * 1024;

    [Range(1024, int.MaxValue)]
    public int MaxPdfBytes { get; set; } = 256 * 1024 * 1024;

    [Range(1, 1000)]
    public int MaxSignaturesPerDocument { get; set; } = 32;

    /// <summary>CAdES-BES (EN 319 122-1 §5.2.2) requires ESS signing-certificate(-v2); plain CMS does not.</summary>
    public bool RequireSigningCertificateAttribute { get; set; }

    /// <summary>The hub's own signing key: PFX (.pfx/.p12) or PEM (certificate and private key in one file, e.g. a mounted Kubernetes secret).</summary>
    public string? SigningKeyPath { get; set; }

    public string? SigningKeyPassword { get; set; }

    /// <summary>Where a development key is generated and kept when no path is configured.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Generate an ECDSA P-256 key and self-signed certificate on first run (development only).</summary>
    public bool GenerateDevelopmentKey { get; set; }
}
