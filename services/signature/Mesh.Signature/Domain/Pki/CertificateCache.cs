using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mesh.Signature.Domain.Pki;

/// <summary>
/// Decoded certificates, so a certificate carried in every signature is parsed once. Looked up by a
/// cheap 64-bit FNV-1a of the DER and confirmed byte-for-byte (a collision costs a re-parse, never a
/// wrong certificate); the SHA-256 thumbprint is computed once, at decode.
/// </summary>
public sealed class CertificateCache(int capacity)
{
    private readonly ConcurrentDictionary<ulong, CertificateFacts> _entries = new();

    /// <exception cref="CryptographicException">The bytes are not a certificate.</exception>
    public CertificateFacts Get(ReadOnlySpan<byte> der)
    {
        var key = Fnv1a(der);
        if (_entries.TryGetValue(key, out var facts) && facts.Der.AsSpan().SequenceEqual(der))
        {
            return facts;
        }

        facts = new CertificateFacts(X509CertificateLoader.LoadCertificate(der));
        if (_entries.Count >= capacity)
        {
            _entries.Clear();
        }

        _entries[key] = facts;
        return facts;
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> data)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in data)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }
}
