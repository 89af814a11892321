using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Mesh.ServiceDefaults.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Testing.Hosting;

/// <summary>
/// Runs Mesh services in-process on real Kestrel with TLS on a free loopback port, a real data
/// directory, and hands out real gRPC channels with client certificates. Restartable on the
/// same data directory.
/// </summary>
public sealed class TlsServiceHost : IAsyncDisposable
{
    private readonly Action<WebApplicationBuilder> configureServices;
    private readonly Action<WebApplication> configureApp;
    private readonly IReadOnlyDictionary<string, string?> settings;
    private readonly List<GrpcChannel> channels = [];
    private WebApplication? app;

    private TlsServiceHost(string dataDirectory, IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder> configureServices, Action<WebApplication> configureApp)
    {
        DataDirectory = dataDirectory;
        this.settings = settings;
        this.configureServices = configureServices;
        this.configureApp = configureApp;
    }

    /// <summary>The data directory (a temp folder deleted on dispose unless given).</summary>
    public string DataDirectory { get; }

    /// <summary>The bound port.</summary>
    public int Port { get; private set; }

    /// <summary>The running app's services.</summary>
    public IServiceProvider Services => app?.Services ?? throw new InvalidOperationException("The host is not running.");

    /// <summary>The installation's development CA (issues agency and client certificates in tests).</summary>
    public X509Certificate2 CertificateAuthority => HubCertificates.LoadOrCreate(DataDirectory).CertificateAuthority;

    /// <summary>Starts a host.</summary>
    public static async Task<TlsServiceHost> StartAsync(
        Action<WebApplicationBuilder> configureServices,
        Action<WebApplication> configureApp,
        IReadOnlyDictionary<string, string?>? settings = null,
        string? dataDirectory = null)
    {
        var dir = dataDirectory ?? Path.Combine(Path.GetTempPath(), "mesh-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var host = new TlsServiceHost(dir, settings ?? new Dictionary<string, string?>(), configureServices, configureApp);
        await host.StartAsync().ConfigureAwait(false);
        return host;
    }

    /// <summary>Starts (again) on the same data directory.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        var config = new Dictionary<string, string?>(settings)
        {
            ["Mesh:DataDirectory"] = DataDirectory,
            ["Mesh:Endpoint:Port"] = "0",
            ["Mesh:Endpoint:LoopbackOnly"] = "true",
        };
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configureServices(builder);
        app = builder.Build();
        configureApp(app);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("127.0.0.1", "localhost", StringComparison.Ordinal)).Port;
    }

    /// <summary>Stops the app (the data directory stays).</summary>
    public async Task StopAsync()
    {
        foreach (var channel in channels)
        {
            channel.Dispose();
        }

        channels.Clear();
        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            app = null;
        }
    }

    /// <summary>A TLS channel presenting <paramref name="clientCertificate"/> (or none), trusting only the installation's CA.</summary>
    public GrpcChannel Channel(X509Certificate2? clientCertificate)
    {
        var ca = CertificateAuthority;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && ChainsTo(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), ca),
            },
        };
        var channel = GrpcChannel.ForAddress($"https://localhost:{Port}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        channels.Add(channel);
        return channel;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool ChainsTo(X509Certificate2 server, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }
}
