using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mesh.Pki;

/// <summary>
/// A small certificate authority for development, tests and the CLI's <c>pki</c> command:
/// ECDSA P-256 keys, a root CA, TLS server certificates and agency client / document-signing
/// certificates. Production installations use certificates from the Government CA or a licensed CA.
/// </summary>
public static class DevelopmentPki
{
    /// <summary>Creates a self-signed root CA valid for <paramref name="validity"/>.</summary>
    public static X509Certificate2 CreateRootCa(string commonName, TimeSpan validity, DateTimeOffset? notBefore = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(commonName)}, O=Mesh development"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var start = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5);
        return request.CreateSelfSigned(start, start + validity);
    }

    /// <summary>Issues a TLS server certificate for the given DNS names and IP addresses.</summary>
    public static X509Certificate2 IssueServerCertificate(X509Certificate2 issuer, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(addresses);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
        {
            names.AddDnsName(dns);
        }

        foreach (var ip in addresses)
        {
            names.AddIpAddress(ip);
        }

        return Issue(issuer, "CN=Mesh hub, O=Mesh development", validity, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, [new Oid("1.3.6.1.5.5.7.3.1")], names.Build());
    }

    /// <summary>Issues an agency's client-TLS certificate.</summary>
    public static X509Certificate2 IssueClientCertificate(X509Certificate2 issuer, string organId, string agencyName, TimeSpan validity) =>
        Issue(issuer, $"CN={Escape(organId)} adapter, O={Escape(agencyName)}, OU={Escape(organId)}", validity, X509KeyUsageFlags.DigitalSignature, [new Oid("1.3.6.1.5.5.7.3.2")], null);

    /// <summary>
    /// Issues an agency's document-signing certificate (digitalSignature + nonRepudiation), with a P-256 key
    /// or, as Vietnam's signing CAs issue them (TT 39/2017 lists RSA of at least 2048 bits), an RSA-2048 one.
    /// </summary>
    public static X509Certificate2 IssueSigningCertificate(X509Certificate2 issuer, string organId, string agencyName, TimeSpan validity, LeafKeyAlgorithm algorithm = LeafKeyAlgorithm.EcdsaP256) =>
        Issue(issuer, $"CN={Escape(agencyName)}, O={Escape(agencyName)}, OU={Escape(organId)}", validity, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, null, null, algorithm);

    /// <summary>Issues a leaf certificate with a fresh key (P-256 unless <paramref name="algorithm"/> says otherwise), returned with its private key.</summary>
    public static X509Certificate2 Issue(X509Certificate2 issuer, string subject, TimeSpan validity, X509KeyUsageFlags usage, Oid[]? extendedUsages, X509Extension? subjectAltNames, LeafKeyAlgorithm algorithm = LeafKeyAlgorithm.EcdsaP256)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        using AsymmetricAlgorithm key = algorithm switch
        {
            LeafKeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            LeafKeyAlgorithm.Rsa2048 => RSA.Create(2048),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown key algorithm"),
        };
        var request = key is RSA rsa
            ? new CertificateRequest(new X500DistinguishedName(subject), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(new X500DistinguishedName(subject), (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (extendedUsages is { Length: > 0 })
        {
            var oids = new OidCollection();
            foreach (var oid in extendedUsages)
            {
                oids.Add(oid);
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        if (subjectAltNames is not null)
        {
            request.CertificateExtensions.Add(subjectAltNames);
        }

        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = now + validity;
        if (notAfter > issuer.NotAfter)
        {
            notAfter = issuer.NotAfter;
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        // The issuer's own key signs, whatever the leaf's algorithm (an RSA leaf under the P-256 development CA).
        using var issuerEcdsa = issuer.GetECDsaPrivateKey();
        using var issuerRsa = issuerEcdsa is null ? issuer.GetRSAPrivateKey() : null;
        var generator = issuerEcdsa is not null
            ? X509SignatureGenerator.CreateForECDsa(issuerEcdsa)
            : X509SignatureGenerator.CreateForRSA(issuerRsa ?? throw new ArgumentException("The issuer certificate has no ECDSA or RSA private key.", nameof(issuer)), RSASignaturePadding.Pkcs1);
        using var certificate = request.Create(issuer.SubjectName, generator, now, notAfter, serial);
        return key is RSA rsaKey ? certificate.CopyWithPrivateKey(rsaKey) : certificate.CopyWithPrivateKey((ECDsa)key);
    }

    /// <summary>Writes a certificate with its private key as a PKCS#12 file (owner-only permissions).</summary>
    public static void SavePfx(X509Certificate2 certificate, string path, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Loads a PKCS#12 file with its private key.</summary>
    public static X509Certificate2 LoadPfx(string path, string? password = null) =>
        X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.Exportable);

    private static string Escape(string value) => value.Replace(",", "\\,", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal);
}

/// <summary>Key of a certificate <see cref="DevelopmentPki"/> issues.</summary>
public enum LeafKeyAlgorithm
{
    /// <summary>ECDSA on NIST P-256.</summary>
    EcdsaP256,

    /// <summary>RSA, 2048 bits (PKCS#1 v1.5 signatures with SHA-256 by the issuer).</summary>
    Rsa2048,
}
