using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Net.Client;
using Mesh.Contracts.Registry.V1;
using Mesh.Pki;

namespace Mesh.LoadGen;

/// <summary>
/// What a benchmark needs from a hub's data directory: its CA (to trust its TLS certificate and to
/// issue agency certificates) and its bootstrap administrator, who binds them through the registry API.
/// </summary>
internal sealed class HubAccess : IDisposable
{
    private HubAccess(X509Certificate2 ca, X509Certificate2 caWithKey, X509Certificate2 admin)
    {
        Ca = ca;
        CaWithKey = caWithKey;
        Admin = admin;
    }

    /// <summary>The hub's development CA certificate (trust anchor for its TLS certificate).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The same CA with its private key, to issue agency certificates.</summary>
    public X509Certificate2 CaWithKey { get; }

    /// <summary>The bootstrap administrator's client certificate.</summary>
    public X509Certificate2 Admin { get; }

    public static async Task<HubAccess> LoadAsync(string dataDirectory)
    {
        var caPem = await File.ReadAllTextAsync(Path.Combine(dataDirectory, "pki", "ca.pem"));
        return new HubAccess(
            X509Certificate2.CreateFromPem(caPem),
            DevelopmentPki.LoadPfx(Path.Combine(dataDirectory, "pki", "ca.pfx")),
            DevelopmentPki.LoadPfx(Path.Combine(dataDirectory, "admin.pfx")));
    }

    /// <summary>
    /// Issues a fresh client-TLS certificate (and, when <paramref name="signing"/>, a document-signing
    /// one with a <paramref name="signingKey"/> key) for <paramref name="organId"/> from the hub's CA and binds them through the registry as the admin.
    /// </summary>
    public async Task<(X509Certificate2 Client, X509Certificate2? Signing)> EnrolAsync(Uri hub, string organId, bool signing, LeafKeyAlgorithm signingKey = LeafKeyAlgorithm.EcdsaP256, CancellationToken cancellationToken = default)
    {
        var client = Reload(DevelopmentPki.IssueClientCertificate(CaWithKey, organId, "LoadGen " + organId, TimeSpan.FromDays(2)));
        var signer = signing ? Reload(DevelopmentPki.IssueSigningCertificate(CaWithKey, organId, "LoadGen " + organId, TimeSpan.FromDays(2), signingKey)) : null;
        using var adminChannel = Channel(hub, Reload(Admin), Ca, 1);
        var registry = new RegistryService.RegistryServiceClient(adminChannel);
        await registry.BindCertificateAsync(new BindCertificateRequest { RequestId = Guid.NewGuid().ToString("N"), OrganId = organId, Certificate = ByteString.CopyFrom(client.RawData), Purpose = CertificatePurpose.ClientTls }, cancellationToken: cancellationToken);
        if (signer is not null)
        {
            await registry.BindCertificateAsync(new BindCertificateRequest { RequestId = Guid.NewGuid().ToString("N"), OrganId = organId, Certificate = ByteString.CopyFrom(signer.RawData), Purpose = CertificatePurpose.DocumentSigning }, cancellationToken: cancellationToken);
        }

        return (client, signer);
    }

    /// <summary>A certificate whose key SslStream can use on every platform (round-tripped through PKCS#12).</summary>
    public static X509Certificate2 Reload(X509Certificate2 certificate) => X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    /// <summary>A TLS channel to <paramref name="address"/> trusting only <paramref name="trusted"/> (the name is not checked: loopback by IP).</summary>
    public static GrpcChannel Channel(Uri address, X509Certificate2? client, X509Certificate2 trusted, int concurrency)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            MaxConnectionsPerServer = Math.Max(1, concurrency / 50),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = client is null ? null : new X509CertificateCollection { client },
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(trusted);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return certificate is not null && chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
    }

    public void Dispose()
    {
        Ca.Dispose();
        CaWithKey.Dispose();
        Admin.Dispose();
    }
}
