using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Pki;

namespace Mesh.MultiProcess.Tests;

/// <summary>
/// The PKI of one test installation, written to files the way an operator would provide them: a CA, one
/// TLS server certificate for every service (localhost, 127.0.0.1), the services' shared client certificate
/// (bound in the registry with HUB_SERVICE at its start), an administrator and the hub's receipt key.
/// </summary>
public sealed class TestPki
{
    public const string OperatorOrganId = "000.00.00.G22";

    public TestPki(string directory)
    {
        Directory.CreateDirectory(directory);
        Ca = DevelopmentPki.CreateRootCa("Mesh multi-process test CA", TimeSpan.FromDays(30));
        CaPemPath = Write(directory, "ca.pem", Ca.ExportCertificatePem());
        using var server = DevelopmentPki.IssueServerCertificate(Ca, ["localhost"], [IPAddress.Loopback], TimeSpan.FromDays(30));
        ServerPfxPath = Pfx(directory, "server.pfx", server);
        using var service = DevelopmentPki.IssueClientCertificate(Ca, OperatorOrganId, "Mesh services", TimeSpan.FromDays(30));
        ServicePfxPath = Pfx(directory, "service.pfx", service);
        ServicePemPath = Write(directory, "service.pem", service.ExportCertificatePem());
        using var admin = DevelopmentPki.IssueClientCertificate(Ca, OperatorOrganId, "Mesh test administrator", TimeSpan.FromDays(30));
        AdminPemPath = Write(directory, "admin.pem", admin.ExportCertificatePem());
        Admin = Reload(admin);
        using var hub = DevelopmentPki.IssueSigningCertificate(Ca, OperatorOrganId, "Mesh hub receipts", TimeSpan.FromDays(30));
        HubSigningPfxPath = Pfx(directory, "hub-signing.pfx", hub);
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Admin { get; }

    public string CaPemPath { get; }

    public string ServerPfxPath { get; }

    public string ServicePfxPath { get; }

    public string ServicePemPath { get; }

    public string AdminPemPath { get; }

    public string HubSigningPfxPath { get; }

    /// <summary>A fresh CRL of the CA: signature validation wants revocation data for every CA in a path.</summary>
    public byte[] Crl()
    {
        var now = DateTimeOffset.UtcNow;
        return new CertificateRevocationListBuilder().Build(Ca, now.ToUnixTimeMilliseconds(), now.AddDays(7), HashAlgorithmName.SHA256, thisUpdate: now.AddMinutes(-1));
    }

    public (X509Certificate2 Client, X509Certificate2 Signing) IssueAgency(string organId)
    {
        using var client = DevelopmentPki.IssueClientCertificate(Ca, organId, "Agency " + organId, TimeSpan.FromDays(30));
        using var signing = DevelopmentPki.IssueSigningCertificate(Ca, organId, "Agency " + organId, TimeSpan.FromDays(30));
        return (Reload(client), Reload(signing));
    }

    // SslStream wants a key it can use on every platform: round-trip through PKCS#12.
    public static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    private static string Write(string directory, string name, string content)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Pfx(string directory, string name, X509Certificate2 certificate)
    {
        var path = Path.Combine(directory, name);
        DevelopmentPki.SavePfx(certificate, path);
        return path;
    }
}
