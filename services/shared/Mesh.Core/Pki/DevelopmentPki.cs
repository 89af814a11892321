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

    /// <summary>Issues an agency's document-signing certificate (digitalSignature + nonRepudiation).</summary>
    public static X509Certificate2 IssueSigningCertificate(X509Certificate2 issuer, string organId, string agencyName, TimeSpan validity) =>
        Issue(issuer, $"CN={Escape(agencyName)}, O={Escape(agencyName)}, OU={Escape(organId)}", validity, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, null, null);

    /// <summary>Issues a leaf certificate with a fresh P-256 key, returned with its private key.</summary>
    public static X509Certificate2 Issue(X509Certificate2 issuer, string subject, TimeSpan validity, X509KeyUsageFlags usage, Oid[]? extendedUsages, X509Extension? subjectAltNames)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256);
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
        using var certificate = request.Create(issuer, now, notAfter, serial);
        return certificate.CopyWithPrivateKey(key);
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
