using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Mesh.Hub;
using Mesh.Identity;
using Mesh.Pki;
using Mesh.Registry.Domain;
using Mesh.ServiceDefaults.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.IntegrationTests;

/// <summary>An agency as the tests use it: its OrganId, client-TLS and document-signing certificates.</summary>
public sealed record TestAgency(string OrganId, X509Certificate2 ClientCertificate, X509Certificate2 SigningCertificate);

/// <summary>
/// The real hub (the same composition as Mesh.Hub's Program) on Kestrel with TLS on a free
/// loopback port, over a data directory that outlives it so a test can restart it.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly X509Certificate2 ca;

    private HubProcess(WebApplication app, Uri address, X509Certificate2 ca)
    {
        this.app = app;
        Address = address;
        this.ca = ca;
    }

    /// <summary>https://127.0.0.1:{port}.</summary>
    public Uri Address { get; }

    /// <summary>The hub's services.</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>Starts the hub on <paramref name="dataDirectory"/>; <paramref name="services"/> adds to (or replaces in) its composition.</summary>
    public static async Task<HubProcess> StartAsync(string dataDirectory, IDictionary<string, string?>? settings = null, TimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        var config = new Dictionary<string, string?>
        {
            ["Mesh:DataDirectory"] = dataDirectory,
            ["Mesh:Endpoint:Port"] = "0",
            ["Mesh:Endpoint:LoopbackOnly"] = "true",
            ["Mesh:Routing:WatchRescan"] = "00:00:01",
            ["Mesh:Routing:WatchHeartbeat"] = "00:00:05",
            ["Mesh:Routing:MaxAttachmentSize"] = (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (time is not null)
        {
            // The audit sequencer's batch window runs on the TimeProvider: under a fake clock that is
            // never advanced it would never close, so integrate every batch at once instead.
            config["Mesh:Audit:BatchDelay"] = "00:00:00";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.AddMeshDefaults("mesh-hub-test");
        builder.AddMeshHubServices();
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseMeshDefaults();
        app.MapMeshHubServices();
        // Started first: bootstrap's audit entries wait for the audit sequencer, a hosted service.
        await app.StartAsync();
        await app.Services.GetRequiredService<HubBootstrap>().RunAsync(CancellationToken.None);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)).Port;
        var pem = await File.ReadAllTextAsync(Path.Combine(dataDirectory, "pki", "ca.pem"));
        return new HubProcess(app, new Uri($"https://127.0.0.1:{port}"), X509Certificate2.CreateFromPem(pem));
    }

    /// <summary>Registers (or re-binds) an agency with fresh certificates issued by the hub's development CA.</summary>
    public async Task<TestAgency> EnrolAsync(string organId)
    {
        var registry = app.Services.GetRequiredService<AgencyRegistry>();
        var pki = HubCertificates.LoadOrCreate(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MeshDataOptions>>().Value.FullDataDirectory);
        using var client = DevelopmentPki.IssueClientCertificate(pki.CertificateAuthority, organId, "Agency " + organId, TimeSpan.FromDays(30));
        using var signing = DevelopmentPki.IssueSigningCertificate(pki.CertificateAuthority, organId, "Agency " + organId, TimeSpan.FromDays(30));
        await registry.BindAsync($"tls-{Guid.NewGuid():N}", organId, client.RawData, CertificatePurpose.ClientTls, [CallerRole.Agency], [], Caller.Hub, CancellationToken.None);
        await registry.BindAsync($"sign-{Guid.NewGuid():N}", organId, signing.RawData, CertificatePurpose.DocumentSigning, [], [], Caller.Hub, CancellationToken.None);
        return new TestAgency(organId, Reload(client), Reload(signing));
    }

    /// <summary>A certificate for <paramref name="organId"/> issued by the hub's CA but bound to nothing.</summary>
    public X509Certificate2 UnboundSigningCertificate(string organId)
    {
        var pki = HubCertificates.LoadOrCreate(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MeshDataOptions>>().Value.FullDataDirectory);
        using var signing = DevelopmentPki.IssueSigningCertificate(pki.CertificateAuthority, organId, "Rogue " + organId, TimeSpan.FromDays(30));
        return Reload(signing);
    }

    /// <summary>Suspends an agency.</summary>
    public async Task SuspendAsync(string organId)
    {
        var registry = app.Services.GetRequiredService<AgencyRegistry>();
        var agency = await registry.GetAsync(organId, CancellationToken.None);
        await registry.ChangeStateAsync($"suspend-{Guid.NewGuid():N}", organId, AgencyState.Suspended, "test", agency.ETag, Caller.Hub, CancellationToken.None);
    }

    /// <summary>A gRPC channel over TLS that presents <paramref name="clientCertificate"/> and trusts only the hub's CA.</summary>
    public GrpcChannel Channel(X509Certificate2 clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = new X509CertificateCollection { clientCertificate },
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && TrustedByHubCa(certificate),
            },
        };
        return GrpcChannel.ForAddress(Address, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 8 * 1024 * 1024 });
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private bool TrustedByHubCa(X509Certificate certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    // SslStream wants a key it can use on every platform: round-trip through PKCS#12.
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
