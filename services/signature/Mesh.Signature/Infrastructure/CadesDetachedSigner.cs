using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain.Crypto;

namespace Mesh.Signature.Infrastructure;

/// <summary>
/// Encodes a detached CAdES-BES CMS SignedData (RFC 5652 §5, ETSI EN 319 122-1 baseline B attributes) with a
/// private key loaded once. Everything that does not depend on the content or the time — the certificate, the
/// signer identifier, the algorithm identifiers, the ESS signing-certificate-v2 attribute — is encoded once.
/// </summary>
internal sealed class CadesDetachedSigner : IDisposable
{
    private readonly AsymmetricAlgorithm _key;
    private readonly Func<byte[], byte[]> _signAttributes;
    private readonly byte[] _certificate;
    private readonly byte[] _signerIdentifier;
    private readonly byte[] _signatureAlgorithm;
    private readonly byte[] _signingCertificateV2Attribute;

    private CadesDetachedSigner(X509Certificate2 certificate, AsymmetricAlgorithm key, Func<byte[], byte[]> signAttributes, string signatureAlgorithm, bool nullParameters, byte[] signingCertificateV2)
    {
        _key = key;
        _signAttributes = signAttributes;
        _certificate = certificate.RawData;

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(certificate.IssuerName.RawData);
            writer.WriteInteger(certificate.SerialNumberBytes.Span);
        }

        _signerIdentifier = writer.Encode();

        writer.Reset();
        WriteAlgorithm(writer, signatureAlgorithm, nullParameters);
        _signatureAlgorithm = writer.Encode();

        writer.Reset();
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(Oids.SigningCertificateV2);
            using (writer.PushSetOf())
            {
                writer.WriteEncodedValue(signingCertificateV2);
            }
        }

        _signingCertificateV2Attribute = writer.Encode();
    }

    /// <summary>A signer for an ECDSA or RSA certificate key; null for any other key type.</summary>
    public static CadesDetachedSigner? TryCreate(X509Certificate2 certificate, byte[] signingCertificateV2)
    {
        if (certificate.GetECDsaPrivateKey() is { } ecdsa)
        {
            return new CadesDetachedSigner(certificate, ecdsa, attributes => ecdsa.SignData(attributes, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), Oids.EcdsaWithSha256, nullParameters: false, signingCertificateV2);
        }

        if (certificate.GetRSAPrivateKey() is { } rsa)
        {
            return new CadesDetachedSigner(certificate, rsa, attributes => rsa.SignData(attributes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), Oids.Sha256WithRsa, nullParameters: true, signingCertificateV2);
        }

        return null;
    }

    public byte[] Sign(ReadOnlySpan<byte> content, DateTimeOffset signingTime)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(content, digest);

        // The signature covers the DER SET OF the signed attributes (RFC 5652 §5.4); DER sorts the set.
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSetOf())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(Oids.ContentType);
                using (writer.PushSetOf())
                {
                    writer.WriteObjectIdentifier(Oids.Data);
                }
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(Oids.SigningTime);
                using (writer.PushSetOf())
                {
                    // RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise.
                    var utc = signingTime.ToUniversalTime();
                    if (utc.Year is >= 1950 and < 2050)
                    {
                        writer.WriteUtcTime(utc);
                    }
                    else
                    {
                        writer.WriteGeneralizedTime(utc, omitFractionalSeconds: true);
                    }
                }
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(Oids.MessageDigest);
                using (writer.PushSetOf())
                {
                    writer.WriteOctetString(digest);
                }
            }

            writer.WriteEncodedValue(_signingCertificateV2Attribute);
        }

        var signedAttributes = writer.Encode();
        var signature = _signAttributes(signedAttributes);

        // In the SignerInfo the same SET is written with the implicit tag [0] (RFC 5652 §5.3).
        signedAttributes[0] = 0xA0;

        writer.Reset();
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(Oids.SignedData);
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            using (writer.PushSequence())
            {
                writer.WriteInteger(1);
                using (writer.PushSetOf())
                {
                    WriteAlgorithm(writer, Oids.Sha256, nullParameters: false);
                }

                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(Oids.Data);
                }

                using (writer.PushSetOf(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                {
                    writer.WriteEncodedValue(_certificate);
                }

                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteInteger(1);
                    writer.WriteEncodedValue(_signerIdentifier);
                    WriteAlgorithm(writer, Oids.Sha256, nullParameters: false);
                    writer.WriteEncodedValue(signedAttributes);
                    writer.WriteEncodedValue(_signatureAlgorithm);
                    writer.WriteOctetString(signature);
                }
            }
        }

        return writer.Encode();
    }

    public void Dispose() => _key.Dispose();

    private static void WriteAlgorithm(AsnWriter writer, string oid, bool nullParameters)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            if (nullParameters)
            {
                writer.WriteNull();
            }
        }
    }
}
