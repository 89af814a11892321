using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Mesh.Client;

/// <summary>Detached CMS (CAdES-BES) signatures as Mesh expects them on manifests and statuses.</summary>
public static class CmsSigning
{
    /// <summary>
    /// Signs <paramref name="content"/> with SHA-256, including the signing time and the
    /// signer certificate (and ESS signing-certificate-v2, as CAdES-BES requires).
    /// </summary>
    public static byte[] SignDetached(ReadOnlySpan<byte> content, X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var cms = new SignedCms(new ContentInfo(content.ToArray()), detached: true);
        var cmsSigner = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signer)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        cmsSigner.SignedAttributes.Add(new Pkcs9SigningTime(DateTime.UtcNow));
        cmsSigner.SignedAttributes.Add(SigningCertificateV2(signer));
        cms.ComputeSignature(cmsSigner, silent: true);
        return cms.Encode();
    }

    /// <summary>Checks a detached CMS signature over <paramref name="content"/> and returns the signer certificate.</summary>
    /// <exception cref="CryptographicException">The signature does not verify.</exception>
    public static X509Certificate2 VerifyDetached(ReadOnlySpan<byte> content, ReadOnlySpan<byte> signature)
    {
        var cms = new SignedCms(new ContentInfo(content.ToArray()), detached: true);
        cms.Decode(signature);
        if (cms.SignerInfos.Count != 1)
        {
            throw new CryptographicException($"Expected one signer, found {cms.SignerInfos.Count}.");
        }

        cms.CheckSignature(verifySignatureOnly: true);
        return cms.SignerInfos[0].Certificate ?? throw new CryptographicException("The signer certificate is not in the signature.");
    }

    // RFC 5035 ESS signing-certificate-v2 with SHA-256: binds the signature to this exact certificate.
    private static AsnEncodedData SigningCertificateV2(X509Certificate2 signer)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                using (writer.PushSequence())
                {
                    // hashAlgorithm defaults to SHA-256 and is therefore omitted (DER).
                    writer.WriteOctetString(SHA256.HashData(signer.RawData));
                }
            }
        }

        return new AsnEncodedData(new Oid("1.2.840.113549.1.9.16.2.47"), writer.Encode());
    }
}
