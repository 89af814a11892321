using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain.Crypto;

namespace Mesh.Signature.Domain.Pki;

/// <summary>An X.509 v2 CRL (RFC 5280 §5) decoded for revocation checking.</summary>
public sealed class RevocationList
{
    // RFC 5280 §5.2/§5.3: a CRL with a critical extension we cannot process must not be used.
    private static readonly HashSet<string> s_understoodCrlExtensions = ["2.5.29.20" /* cRLNumber */, "2.5.29.35" /* AKI */];
    private static readonly HashSet<string> s_understoodEntryExtensions = ["2.5.29.21" /* reasonCode */, "2.5.29.24" /* invalidityDate */];

    private readonly Dictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);

    private RevocationList(byte[] der)
    {
        Der = der;
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        Tbs = outer.ReadEncodedValue();
        var (sigOid, sigParams) = Algorithms.ReadAlgorithmIdentifier(outer);
        SignatureAlgorithm = Algorithms.FromOid(sigOid, sigParams);
        SignatureValue = outer.ReadBitString(out _);
        outer.ThrowIfNotEmpty();

        var tbs = new AsnReader(Tbs, AsnEncodingRules.DER).ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            tbs.ReadInteger();
        }

        Algorithms.ReadAlgorithmIdentifier(tbs);
        IssuerKey = CertificateFacts.NameKey(new X500DistinguishedName(tbs.ReadEncodedValue().Span));
        ThisUpdate = ReadTime(tbs);
        if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
        {
            NextUpdate = ReadTime(tbs);
        }

        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                var serial = CertificateFacts.NormaliseSerial(entry.ReadIntegerBytes().Span);
                var date = ReadTime(entry);
                if (entry.HasData)
                {
                    foreach (var (oid, critical) in ReadExtensions(entry.ReadSequence()))
                    {
                        if (critical && !s_understoodEntryExtensions.Contains(oid))
                        {
                            UnusableReason = $"CRL entry carries unsupported critical extension {oid}";
                        }
                    }
                }

                entry.ThrowIfNotEmpty();
                _revoked[serial] = date;
            }
        }

        var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 0, true);
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(extensionsTag))
        {
            foreach (var (oid, critical) in ReadExtensions(tbs.ReadSequence(extensionsTag).ReadSequence()))
            {
                if (critical && !s_understoodCrlExtensions.Contains(oid))
                {
                    UnusableReason = $"CRL carries unsupported critical extension {oid} (delta or partitioned CRLs are not supported)";
                }
            }
        }

        tbs.ThrowIfNotEmpty();
    }

    public byte[] Der { get; }

    public ReadOnlyMemory<byte> Tbs { get; }

    public SignatureAlgorithm SignatureAlgorithm { get; }

    public byte[] SignatureValue { get; }

    public string IssuerKey { get; }

    public DateTimeOffset ThisUpdate { get; }

    public DateTimeOffset? NextUpdate { get; }

    public string? UnusableReason { get; }

    public int Count => _revoked.Count;

    public static bool TryParse(byte[] der, out RevocationList? crl, out string? error)
    {
        try
        {
            crl = new RevocationList(der);
            error = null;
            return true;
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException)
        {
            crl = null;
            error = e.Message;
            return false;
        }
    }

    public bool TryGetRevocation(string serialHex, out DateTimeOffset revocationDate) => _revoked.TryGetValue(serialHex, out revocationDate);

    public bool IsSignedBy(CertificateFacts issuer) =>
        CryptoPolicy.KeyMatches(SignatureAlgorithm, issuer.Key) && issuer.Key.Verify(SignatureAlgorithm, Tbs.Span, SignatureValue);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

    private static IEnumerable<(string Oid, bool Critical)> ReadExtensions(AsnReader extensions)
    {
        var list = new List<(string, bool)>();
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            var critical = extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
            extension.ReadOctetString();
            extension.ThrowIfNotEmpty();
            list.Add((oid, critical));
        }

        return list;
    }
}
