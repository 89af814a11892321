using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mesh.Signature.Domain.Crypto;

/// <summary>
/// A public key imported once and reused (import costs more than a verification). The wrapped
/// OpenSSL-backed RSA/ECDsa objects are only used for verification, which keeps no per-call state.
/// </summary>
public sealed class PublicKeyVerifier : IDisposable
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ecdsa;

    private PublicKeyVerifier(RSA? rsa, ECDsa? ecdsa, string description, int keySize, string? curveOid)
    {
        _rsa = rsa;
        _ecdsa = ecdsa;
        Description = description;
        KeySize = keySize;
        CurveOid = curveOid;
    }

    public bool IsRsa => _rsa is not null;

    public bool IsEcdsa => _ecdsa is not null;

    public int KeySize { get; }

    public string? CurveOid { get; }

    public string Description { get; }

    public static PublicKeyVerifier FromCertificate(X509Certificate2 certificate)
    {
        var oid = certificate.PublicKey.Oid.Value;
        if (oid is Oids.RsaEncryption or Oids.RsaPss)
        {
            var rsa = certificate.GetRSAPublicKey() ?? throw new CryptographicException("RSA public key could not be imported.");
            return new PublicKeyVerifier(rsa, null, $"RSA-{rsa.KeySize}", rsa.KeySize, null);
        }

        if (oid == Oids.EcPublicKey)
        {
            var ecdsa = certificate.GetECDsaPublicKey() ?? throw new CryptographicException("EC public key could not be imported.");
            return FromEcdsa(ecdsa);
        }

        throw new CryptographicException($"Unsupported public key algorithm {oid}.");
    }

    public static PublicKeyVerifier FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        var key = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _);
        if (key.Oid.Value == Oids.EcPublicKey)
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
            return FromEcdsa(ecdsa);
        }

        var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out _);
        return new PublicKeyVerifier(rsa, null, $"RSA-{rsa.KeySize}", rsa.KeySize, null);
    }

    private static PublicKeyVerifier FromEcdsa(ECDsa ecdsa)
    {
        var curve = ecdsa.ExportParameters(false).Curve;
        var curveOid = curve.Oid?.Value ?? (curve.Oid?.FriendlyName is { } name ? Oid.FromFriendlyName(name, OidGroup.PublicKeyAlgorithm).Value : null);
        return new PublicKeyVerifier(null, ecdsa, $"EC-{curve.Oid?.FriendlyName ?? curveOid}", ecdsa.KeySize, curveOid);
    }

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/>. ECDSA signatures are DER
    /// (X.509, CMS) unless <paramref name="ieeeP1363"/> (XML-DSig, RFC 4050 §3.3) and must be canonical.
    /// </summary>
    public bool Verify(SignatureAlgorithm algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, bool ieeeP1363 = false)
    {
        try
        {
            return algorithm.Scheme switch
            {
                SignatureScheme.RsaPkcs1 when _rsa is not null => _rsa.VerifyData(data, signature, algorithm.Hash, RSASignaturePadding.Pkcs1),
                SignatureScheme.RsaPss when _rsa is not null && algorithm.UnsupportedParameters is null => _rsa.VerifyData(data, signature, algorithm.Hash, RSASignaturePadding.Pss),
                SignatureScheme.Ecdsa when _ecdsa is not null && ieeeP1363 => _ecdsa.VerifyData(data, signature, algorithm.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
                SignatureScheme.Ecdsa when _ecdsa is not null => StrictDer.IsCanonicalEcdsaSignature(signature)
                    && _ecdsa.VerifyData(data, signature, algorithm.Hash, DSASignatureFormat.Rfc3279DerSequence),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false; // malformed signature or unsupported hash: a refusal, not an error
        }
    }

    /// <summary>Same as <see cref="Verify"/> for a precomputed hash.</summary>
    public bool VerifyHash(SignatureAlgorithm algorithm, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature, bool ieeeP1363 = false)
    {
        try
        {
            return algorithm.Scheme switch
            {
                SignatureScheme.RsaPkcs1 when _rsa is not null => _rsa.VerifyHash(hash, signature, algorithm.Hash, RSASignaturePadding.Pkcs1),
                SignatureScheme.RsaPss when _rsa is not null && algorithm.UnsupportedParameters is null => _rsa.VerifyHash(hash, signature, algorithm.Hash, RSASignaturePadding.Pss),
                SignatureScheme.Ecdsa when _ecdsa is not null && ieeeP1363 => _ecdsa.VerifyHash(hash, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
                SignatureScheme.Ecdsa when _ecdsa is not null => StrictDer.IsCanonicalEcdsaSignature(signature)
                    && _ecdsa.VerifyHash(hash, signature, DSASignatureFormat.Rfc3279DerSequence),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _rsa?.Dispose();
        _ecdsa?.Dispose();
    }
}
