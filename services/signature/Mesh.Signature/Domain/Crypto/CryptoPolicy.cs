using System.Security.Cryptography;

namespace Mesh.Signature.Domain.Crypto;

/// <summary>
/// The algorithm constraints of <see cref="SignatureOptions"/> (EN 319 102-1 §5.2.8
/// "cryptographic constraints"); a violation is INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE.
/// </summary>
public sealed class CryptoPolicy
{
    private readonly HashSet<string> _digests;
    private readonly HashSet<string> _curveOids;
    private readonly int _minimumRsaBits;
    private readonly bool _allowPss;

    public CryptoPolicy(SignatureOptions options)
    {
        _digests = new HashSet<string>(options.AllowedDigests.Select(d => d.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant()), StringComparer.Ordinal);
        _curveOids = new HashSet<string>(
            options.AllowedCurves.Select(c => c switch
            {
                "nistP256" or "P-256" or "secp256r1" or "ECDSA_P256" => Oids.NistP256,
                "nistP384" or "P-384" or "secp384r1" or "ECDSA_P384" => Oids.NistP384,
                "nistP521" or "P-521" or "secp521r1" or "ECDSA_P521" => Oids.NistP521,
                _ => c,
            }),
            StringComparer.Ordinal);
        _minimumRsaBits = options.MinimumRsaKeyBits;
        _allowPss = options.AllowRsaPss;
    }

    public string? CheckDigest(HashAlgorithmName hash) =>
        hash.Name is { } name && _digests.Contains(name) ? null : $"digest algorithm {hash.Name ?? "unknown"} is not allowed";

    public string? CheckSignatureAlgorithm(SignatureAlgorithm algorithm)
    {
        if (algorithm.Scheme == SignatureScheme.Unknown)
        {
            return $"signature algorithm {algorithm.Name} is not supported";
        }

        if (algorithm.Scheme == SignatureScheme.RsaPss && !_allowPss)
        {
            return "RSASSA-PSS is not allowed";
        }

        if (algorithm.UnsupportedParameters is { } p)
        {
            return p;
        }

        return CheckDigest(algorithm.Hash) is { } digest ? $"{algorithm.Name}: {digest}" : null;
    }

    public string? CheckKey(PublicKeyVerifier key)
    {
        if (key.IsRsa && key.KeySize < _minimumRsaBits)
        {
            return $"RSA key of {key.KeySize} bits is below the minimum of {_minimumRsaBits}";
        }

        if (key.IsEcdsa && (key.CurveOid is null || !_curveOids.Contains(key.CurveOid)))
        {
            return $"elliptic curve {key.Description} is not allowed";
        }

        return null;
    }

    /// <summary>Key and algorithm must agree (an ECDSA algorithm with an RSA key is a format error, not a crypto one).</summary>
    public static bool KeyMatches(SignatureAlgorithm algorithm, PublicKeyVerifier key) => algorithm.Scheme switch
    {
        SignatureScheme.RsaPkcs1 or SignatureScheme.RsaPss => key.IsRsa,
        SignatureScheme.Ecdsa => key.IsEcdsa,
        _ => false,
    };
}
