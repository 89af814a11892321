using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Mesh.ServiceDefaults.Hosting;
using Microsoft.Extensions.Options;

namespace Mesh.ServiceDefaults.Peers;

/// <summary>
/// One long-lived HTTP/2 channel per peer, with this service's client certificate over TLS; through a
/// Dapr sidecar (<see cref="PeerEndpoint.AppId"/> set) every call carries <c>dapr-app-id</c>. Unary calls
/// get a deadline of <see cref="PeerOptions.CallTimeout"/> unless the caller set one.
/// </summary>
public sealed class PeerChannels(IOptions<PeerOptions> options, IOptions<MeshDataOptions> data) : IDisposable
{
    /// <summary>The metadata key the Dapr sidecar routes a proxied gRPC call by.</summary>
    public const string DaprAppIdHeader = "dapr-app-id";

    private readonly ConcurrentDictionary<(Uri Address, string AppId), GrpcChannel> channels = new();
    private readonly UnaryDeadlineInterceptor deadlines = new(options.Value.CallTimeout);
    private readonly Lazy<(X509Certificate2? Client, X509Certificate2? Ca)> certificates = new(() => LoadCertificates(options.Value, data.Value));

    /// <summary>Calls to a peer: its channel, unary calls with a deadline.</summary>
    public CallInvoker For(PeerEndpoint? peer, string name) =>
        peer?.Address is not { } address
            ? throw new InvalidOperationException($"Mesh:Peers:{name}:Address is not configured and the {name} service does not run in this process.")
            : channels.GetOrAdd((address, peer.AppId ?? ""), Create).Intercept(deadlines);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var channel in channels.Values)
        {
            channel.Dispose();
        }
    }

    private GrpcChannel Create((Uri Address, string AppId) key)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        if (key.Address.Scheme == Uri.UriSchemeHttps)
        {
            var (client, ca) = certificates.Value;
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = client is null ? null : new X509CertificateCollection { client },
                LocalCertificateSelectionCallback = client is null ? null : (_, _, _, _, _) => client,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedPeer(certificate, errors, ca),
            };
        }

        HttpMessageHandler outer = string.IsNullOrEmpty(key.AppId) ? handler : new DaprAppIdHandler(key.AppId) { InnerHandler = handler };
        return GrpcChannel.ForAddress(key.Address, new GrpcChannelOptions { HttpHandler = outer, DisposeHttpClient = true, MaxReceiveMessageSize = 8 * 1024 * 1024 });
    }

    private static bool TrustedPeer(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2? ca)
    {
        if (certificate is null || ca is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(server);
    }

    private static (X509Certificate2?, X509Certificate2?) LoadCertificates(PeerOptions peers, MeshDataOptions data)
    {
        var client = string.IsNullOrEmpty(peers.ClientCertificatePath)
            ? null
            : X509CertificateLoader.LoadPkcs12FromFile(peers.ClientCertificatePath, peers.ClientCertificatePassword);
        var ca = string.IsNullOrEmpty(peers.CaCertificatePath)
            ? HubCertificates.LoadOrCreate(data.FullDataDirectory).CertificateAuthority
            : X509Certificate2.CreateFromPem(File.ReadAllText(peers.CaCertificatePath));
        return (client, ca);
    }

    // gRPC metadata are HTTP/2 headers: adding the header here covers every call on the channel, streaming included.
    private sealed class DaprAppIdHandler(string appId) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation(DaprAppIdHeader, appId);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
