using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Mesh.Signature.Domain.Crypto;

public enum SignatureScheme
{
    Unknown,
    RsaPkcs1,
    RsaPss,
    Ecdsa,
}

/// <summary>A signature algorithm as decoded from an AlgorithmIdentifier (or a URI for XML-DSig).</summary>
public sealed record SignatureAlgorithm(SignatureScheme Scheme, HashAlgorithmName Hash, string Name)
{
    /// <summary>PSS parameters that .NET cannot honour (salt ≠ hash length, MGF hash ≠ hash).</summary>
    public string? UnsupportedParameters { get; init; }
}

public static class Oids
{
    public const string Data = "1.2.840.113549.1.7.1";
    public const string SignedData = "1.2.840.113549.1.7.2";
    public const string ContentType = "1.2.840.113549.1.9.3";
    public const string MessageDigest = "1.2.840.113549.1.9.4";
    public const string SigningTime = "1.2.840.113549.1.9.5";
    public const string SigningCertificate = "1.2.840.113549.1.9.16.2.12";
    public const string SigningCertificateV2 = "1.2.840.113549.1.9.16.2.47";
    public const string SignatureTimeStampToken = "1.2.840.113549.1.9.16.2.14";

    public const string Md5 = "1.2.840.113549.2.5";
    public const string Sha1 = "1.3.14.3.2.26";
    public const string Sha224 = "2.16.840.1.101.3.4.2.4";
    public const string Sha256 = "2.16.840.1.101.3.4.2.1";
    public const string Sha384 = "2.16.840.1.101.3.4.2.2";
    public const string Sha512 = "2.16.840.1.101.3.4.2.3";

    public const string RsaEncryption = "1.2.840.113549.1.1.1";
    public const string Md5WithRsa = "1.2.840.113549.1.1.4";
    public const string Sha1WithRsa = "1.2.840.113549.1.1.5";
    public const string RsaPss = "1.2.840.113549.1.1.10";
    public const string Sha256WithRsa = "1.2.840.113549.1.1.11";
    public const string Sha384WithRsa = "1.2.840.113549.1.1.12";
    public const string Sha512WithRsa = "1.2.840.113549.1.1.13";
    public const string Sha224WithRsa = "1.2.840.113549.1.1.14";
    public const string Mgf1 = "1.2.840.113549.1.1.8";

    public const string EcPublicKey = "1.2.840.10045.2.1";
    public const string EcdsaWithSha1 = "1.2.840.10045.4.1";
    public const string EcdsaWithSha224 = "1.2.840.10045.4.3.1";
    public const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";
    public const string EcdsaWithSha384 = "1.2.840.10045.4.3.3";
    public const string EcdsaWithSha512 = "1.2.840.10045.4.3.4";

    public const string NistP256 = "1.2.840.10045.3.1.7";
    public const string NistP384 = "1.3.132.0.34";
    public const string NistP521 = "1.3.132.0.35";
}

public static class Algorithms
{
    public static HashAlgorithmName? DigestFromOid(string oid) => oid switch
    {
        Oids.Md5 => HashAlgorithmName.MD5,
        Oids.Sha1 => HashAlgorithmName.SHA1,
        Oids.Sha224 => new HashAlgorithmName("SHA224"),
        Oids.Sha256 => HashAlgorithmName.SHA256,
        Oids.Sha384 => HashAlgorithmName.SHA384,
        Oids.Sha512 => HashAlgorithmName.SHA512,
        _ => null,
    };

    public static int HashLength(HashAlgorithmName hash) => hash.Name switch
    {
        "MD5" => 16,
        "SHA1" => 20,
        "SHA224" => 28,
        "SHA256" => 32,
        "SHA384" => 48,
        "SHA512" => 64,
        _ => 0,
    };

    /// <summary>Reads an AlgorithmIdentifier SEQUENCE and returns its OID and raw parameters (if any).</summary>
    public static (string Oid, ReadOnlyMemory<byte>? Parameters) ReadAlgorithmIdentifier(AsnReader reader)
    {
        var sequence = reader.ReadSequence();
        var oid = sequence.ReadObjectIdentifier();
        ReadOnlyMemory<byte>? parameters = sequence.HasData ? sequence.ReadEncodedValue() : null;
        sequence.ThrowIfNotEmpty();
        return (oid, parameters);
    }

    /// <summary>
    /// Maps a signature AlgorithmIdentifier. In CMS the signatureAlgorithm may be the bare key
    /// algorithm (rsaEncryption, id-ecPublicKey; RFC 5754 §3), in which case the SignerInfo digest
    /// algorithm names the hash.
    /// </summary>
    public static SignatureAlgorithm FromOid(string oid, ReadOnlyMemory<byte>? parameters, HashAlgorithmName? digestHint = null)
    {
        switch (oid)
        {
            case Oids.RsaEncryption when digestHint is { } h:
                return new(SignatureScheme.RsaPkcs1, h, $"RSA-PKCS1-{h.Name}");
            case Oids.Md5WithRsa:
                return new(SignatureScheme.RsaPkcs1, HashAlgorithmName.MD5, "md5WithRSAEncryption");
            case Oids.Sha1WithRsa:
                return new(SignatureScheme.RsaPkcs1, HashAlgorithmName.SHA1, "sha1WithRSAEncryption");
            case Oids.Sha224WithRsa:
                return new(SignatureScheme.RsaPkcs1, new HashAlgorithmName("SHA224"), "sha224WithRSAEncryption");
            case Oids.Sha256WithRsa:
                return new(SignatureScheme.RsaPkcs1, HashAlgorithmName.SHA256, "sha256WithRSAEncryption");
            case Oids.Sha384WithRsa:
                return new(SignatureScheme.RsaPkcs1, HashAlgorithmName.SHA384, "sha384WithRSAEncryption");
            case Oids.Sha512WithRsa:
                return new(SignatureScheme.RsaPkcs1, HashAlgorithmName.SHA512, "sha512WithRSAEncryption");
            case Oids.RsaPss:
                return ReadPss(parameters);
            case Oids.EcPublicKey when digestHint is { } h:
                return new(SignatureScheme.Ecdsa, h, $"ECDSA-{h.Name}");
            case Oids.EcdsaWithSha1:
                return new(SignatureScheme.Ecdsa, HashAlgorithmName.SHA1, "ecdsa-with-SHA1");
            case Oids.EcdsaWithSha224:
                return new(SignatureScheme.Ecdsa, new HashAlgorithmName("SHA224"), "ecdsa-with-SHA224");
            case Oids.EcdsaWithSha256:
                return new(SignatureScheme.Ecdsa, HashAlgorithmName.SHA256, "ecdsa-with-SHA256");
            case Oids.EcdsaWithSha384:
                return new(SignatureScheme.Ecdsa, HashAlgorithmName.SHA384, "ecdsa-with-SHA384");
            case Oids.EcdsaWithSha512:
                return new(SignatureScheme.Ecdsa, HashAlgorithmName.SHA512, "ecdsa-with-SHA512");
            default:
                return new(SignatureScheme.Unknown, default, oid);
        }
    }

    // RFC 4055 §3.1 RSASSA-PSS-params; defaults are SHA-1, MGF1-SHA-1, salt 20.
    private static SignatureAlgorithm ReadPss(ReadOnlyMemory<byte>? parameters)
    {
        var hash = HashAlgorithmName.SHA1;
        var mgfHash = HashAlgorithmName.SHA1;
        var salt = 20;
        var trailer = 1;
        string? mgfOid = Oids.Mgf1;
        if (parameters is { } p)
        {
            var reader = new AsnReader(p, AsnEncodingRules.DER).ReadSequence();
            var tag0 = new Asn1Tag(TagClass.ContextSpecific, 0, true);
            var tag1 = new Asn1Tag(TagClass.ContextSpecific, 1, true);
            var tag2 = new Asn1Tag(TagClass.ContextSpecific, 2, true);
            var tag3 = new Asn1Tag(TagClass.ContextSpecific, 3, true);
            if (reader.HasData && reader.PeekTag().HasSameClassAndValue(tag0))
            {
                var (oid, _) = ReadAlgorithmIdentifier(reader.ReadSequence(tag0));
                hash = DigestFromOid(oid) ?? default;
            }

            if (reader.HasData && reader.PeekTag().HasSameClassAndValue(tag1))
            {
                var mgf = reader.ReadSequence(tag1).ReadSequence();
                mgfOid = mgf.ReadObjectIdentifier();
                var (mgfHashOid, _) = ReadAlgorithmIdentifier(mgf);
                mgfHash = DigestFromOid(mgfHashOid) ?? default;
            }

            if (reader.HasData && reader.PeekTag().HasSameClassAndValue(tag2))
            {
                reader.ReadSequence(tag2).TryReadInt32(out salt);
            }

            if (reader.HasData && reader.PeekTag().HasSameClassAndValue(tag3))
            {
                reader.ReadSequence(tag3).TryReadInt32(out trailer);
            }

            reader.ThrowIfNotEmpty();
        }

        string? unsupported = null;
        if (mgfOid != Oids.Mgf1 || mgfHash != hash || salt != HashLength(hash) || trailer != 1)
        {
            unsupported = $"RSASSA-PSS parameters (MGF {mgfOid}/{mgfHash.Name}, salt {salt}, trailer {trailer}) differ from MGF1 with the message hash and salt = hash length";
        }

        return new(SignatureScheme.RsaPss, hash, $"RSASSA-PSS-{hash.Name}") { UnsupportedParameters = unsupported };
    }
}
