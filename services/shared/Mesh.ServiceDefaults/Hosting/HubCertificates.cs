using System.Net;
using System.Security.Cryptography.X509Certificates;
using Mesh.Pki;

namespace Mesh.ServiceDefaults.Hosting;

/// <summary>
/// The development PKI of one installation, generated on first run in <c>{data}/pki</c> and kept:
/// a root CA, the hub's TLS server certificate (localhost, 127.0.0.1, ::1 and the host name).
/// Production installations configure <c>Mesh:Endpoint:CertificatePath</c> instead.
/// </summary>
public sealed class HubCertificates
{
    private static readonly Lock Gate = new();

    private HubCertificates(X509Certificate2 ca, X509Certificate2 server, bool created, string directory)
    {
        CertificateAuthority = ca;
        ServerCertificate = server;
        Created = created;
        Directory = directory;
    }

    /// <summary>The development root CA (with its key).</summary>
    public X509Certificate2 CertificateAuthority { get; }

    /// <summary>The TLS server certificate (with its key).</summary>
    public X509Certificate2 ServerCertificate { get; }

    /// <summary>Whether this call created them.</summary>
    public bool Created { get; }

    /// <summary>The folder holding them.</summary>
    public string Directory { get; }

    /// <summary>Path of the CA certificate in PEM, for clients to trust the hub.</summary>
    public string CaPemPath => Path.Combine(Directory, "ca.pem");

    /// <summary>Loads the development PKI from <c>{dataDirectory}/pki</c>, creating it on first run.</summary>
    public static HubCertificates LoadOrCreate(string dataDirectory)
    {
        var directory = Path.Combine(dataDirectory, "pki");
        var caPath = Path.Combine(directory, "ca.pfx");
        var serverPath = Path.Combine(directory, "server.pfx");
        lock (Gate)
        {
            if (File.Exists(caPath) && File.Exists(serverPath))
            {
                return new HubCertificates(DevelopmentPki.LoadPfx(caPath), DevelopmentPki.LoadPfx(serverPath), false, directory);
            }

            System.IO.Directory.CreateDirectory(directory);
            var ca = DevelopmentPki.CreateRootCa("Mesh development CA", TimeSpan.FromDays(3650));
            var server = DevelopmentPki.IssueServerCertificate(
                ca,
                ["localhost", Dns.GetHostName()],
                [IPAddress.Loopback, IPAddress.IPv6Loopback],
                TimeSpan.FromDays(825));
            DevelopmentPki.SavePfx(ca, caPath);
            DevelopmentPki.SavePfx(server, serverPath);
            File.WriteAllText(Path.Combine(directory, "ca.pem"), ca.ExportCertificatePem());
            return new HubCertificates(ca, server, true, directory);
        }
    }
}
