using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Infrastructure;

namespace Mesh.Signature.Tests.Support;

/// <summary>A real test PKI made with CertificateRequest: root → intermediate → leaves, and CRLs.</summary>
internal sealed class TestPki
{
    private static long s_serial = DateTime.UtcNow.Ticks;

    public TestPki(DateTimeOffset now)
    {
        Now = now;
        Root = CreateCa("CN=Mesh Test Root CA, O=Mesh Test, C=VN", null, null, now.AddYears(-2), now.AddYears(10));
        Intermediate = CreateCa("CN=Mesh Test Issuing CA, O=Mesh Test, C=VN", Root, null, now.AddYears(-1), now.AddYears(5));
    }

    public DateTimeOffset Now { get; }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    public static X509Certificate2 CreateCa(string subject, X509Certificate2? issuer, int? pathLength, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength.HasValue, pathLength ?? 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        if (issuer is null)
        {
            return request.CreateSelfSigned(notBefore, notAfter);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = request.Create(issuer, notBefore, notAfter, NextSerial());
        return issued.CopyWithPrivateKey(key);
    }

    public X509Certificate2 IssueLeaf(
        string subject = "CN=Nguyen Van A, O=UBND Tinh Quang Ninh, C=VN",
        X509Certificate2? issuer = null,
        X509KeyUsageFlags usage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        AsymmetricAlgorithm? key = null,
        X500DistinguishedName? issuerNameOverride = null)
    {
        issuer ??= Intermediate;
        key ??= ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key switch
        {
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa ecdsa => new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256),
            _ => throw new ArgumentException("unsupported key", nameof(key)),
        };
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var from = notBefore ?? Now.AddDays(-30);
        var to = notAfter ?? Now.AddYears(1);
        // The generator overload lets an ECDSA CA issue RSA leaves and issue under another name.
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        var issued = request.Create(issuerNameOverride ?? issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), from, to, NextSerial());
        using (issued)
        {
            return key switch
            {
                RSA rsa => issued.CopyWithPrivateKey(rsa),
                ECDsa ecdsa => issued.CopyWithPrivateKey(ecdsa),
                _ => throw new ArgumentException("unsupported key", nameof(key)),
            };
        }
    }

    public static byte[] Crl(X509Certificate2 issuer, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate, params (X509Certificate2 Certificate, DateTimeOffset RevokedAt)[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var (certificate, at) in revoked)
        {
            builder.AddEntry(certificate, at, X509RevocationReason.KeyCompromise);
        }

        return builder.Build(issuer, new BigInteger(Interlocked.Increment(ref s_serial)), nextUpdate, HashAlgorithmName.SHA256, thisUpdate: thisUpdate);
    }

    public byte[] Crl(X509Certificate2 issuer, params (X509Certificate2 Certificate, DateTimeOffset RevokedAt)[] revoked) =>
        Crl(issuer, Now.AddHours(-1), Now.AddDays(1), revoked);

    public static byte[] SignCms(
        byte[] content,
        X509Certificate2 signer,
        DateTimeOffset signingTime,
        bool detached = true,
        string digestOid = "2.16.840.1.101.3.4.2.1",
        RSASignaturePadding? padding = null,
        bool includeCertificate = true,
        params X509Certificate2[] extraCertificates)
    {
        var cms = new SignedCms(new ContentInfo(content), detached);
        AddSigner(cms, signer, signingTime, digestOid, padding, includeCertificate, extraCertificates);
        return cms.Encode();
    }

    public static void AddSigner(SignedCms cms, X509Certificate2 signer, DateTimeOffset signingTime, string digestOid = "2.16.840.1.101.3.4.2.1", RSASignaturePadding? padding = null, bool includeCertificate = true, params X509Certificate2[] extraCertificates)
    {
        var cmsSigner = padding is null
            ? new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signer)
            : new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signer, signer.GetRSAPrivateKey(), padding);
        cmsSigner.DigestAlgorithm = new Oid(digestOid);
        cmsSigner.IncludeOption = includeCertificate ? X509IncludeOption.EndCertOnly : X509IncludeOption.None;
        cmsSigner.Certificates.AddRange(extraCertificates);
        cmsSigner.SignedAttributes.Add(new Pkcs9SigningTime(signingTime.UtcDateTime));
        cmsSigner.SignedAttributes.Add(HubSigningKey.SigningCertificateV2(signer));
        cms.ComputeSignature(cmsSigner, silent: true);
    }

    private static byte[] NextSerial()
    {
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref s_serial));
        Array.Reverse(serial);
        serial[0] &= 0x7F;
        return serial;
    }
}
