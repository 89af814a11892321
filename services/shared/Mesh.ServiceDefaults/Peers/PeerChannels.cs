using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Mesh.ServiceDefaults.Hosting;
using Microsoft.Extensions.Options;

namespace Mesh.ServiceDefaults.Peers;

/// <summary>One long-lived HTTP/2 channel per peer, with this service's client certificate.</summary>
public sealed class PeerChannels(IOptions<PeerOptions> options, IOptions<MeshDataOptions> data) : IDisposable
{
    private readonly ConcurrentDictionary<Uri, GrpcChannel> channels = new();
    private readonly Lazy<(X509Certificate2? Client, X509Certificate2 Ca)> certificates = new(() => LoadCertificates(options.Value, data.Value));

    /// <summary>The channel to a peer.</summary>
    public GrpcChannel For(Uri? address, string peer) =>
        address is null
            ? throw new InvalidOperationException($"Mesh:Peers:{peer} is not configured and the {peer} service does not run in this process.")
            : channels.GetOrAdd(address, Create);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var channel in channels.Values)
        {
            channel.Dispose();
        }
    }

    private GrpcChannel Create(Uri address)
    {
        var (client, ca) = certificates.Value;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = client is null ? null : new X509CertificateCollection { client },
                LocalCertificateSelectionCallback = client is null ? null : (_, _, _, _, _) => client,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return chain.Build(server);
                },
            },
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true, MaxReceiveMessageSize = 8 * 1024 * 1024 });
    }

    private static (X509Certificate2?, X509Certificate2) LoadCertificates(PeerOptions peers, MeshDataOptions data)
    {
        var client = string.IsNullOrEmpty(peers.ClientCertificatePath)
            ? null
            : X509CertificateLoader.LoadPkcs12FromFile(peers.ClientCertificatePath, peers.ClientCertificatePassword);
        var ca = string.IsNullOrEmpty(peers.CaCertificatePath)
            ? HubCertificates.LoadOrCreate(data.FullDataDirectory).CertificateAuthority
            : X509Certificate2.CreateFromPem(File.ReadAllText(peers.CaCertificatePath));
        return (client, ca);
    }
}
