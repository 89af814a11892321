using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mesh.Signature.Domain.Pki;

/// <summary>Decoded certificates by SHA-256 of their DER, so a certificate carried in every signature is parsed once.</summary>
public sealed class CertificateCache(int capacity)
{
    private readonly ConcurrentDictionary<string, CertificateFacts> _byThumbprint = new(StringComparer.Ordinal);

    /// <exception cref="CryptographicException">The bytes are not a certificate.</exception>
    public CertificateFacts Get(ReadOnlySpan<byte> der)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(der, hash);
        var thumbprint = Convert.ToHexString(hash);
        if (_byThumbprint.TryGetValue(thumbprint, out var facts))
        {
            return facts;
        }

        facts = new CertificateFacts(X509CertificateLoader.LoadCertificate(der));
        if (_byThumbprint.Count >= capacity)
        {
            _byThumbprint.Clear();
        }

        return _byThumbprint.GetOrAdd(thumbprint, facts);
    }
}
