using Grpc.Net.Client;
using Mesh.Contracts.Storage.V1;
using Mesh.ServiceDefaults.Errors;
using Mesh.State;
using Mesh.Storage.Domain;
using Mesh.Storage.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Storage.Tests.Support;

/// <summary>The storage service composed as the hub composes it, over an in-memory state store.</summary>
public static class StorageHost
{
    public static readonly DateTimeOffset Now = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    public static Dictionary<string, string?> Settings(int? chunkSize = null, long? maxBlobSize = null)
    {
        var settings = new Dictionary<string, string?>();
        if (chunkSize is { } c)
        {
            settings["Mesh:Storage:ChunkSize"] = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (maxBlobSize is { } m)
        {
            settings["Mesh:Storage:MaxBlobSize"] = m.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    /// <summary>The in-process <see cref="IBlobStorage"/> (what the all-in-one hub uses).</summary>
    public static (IBlobStorage Storage, InMemoryStateStore State, FakeTimeProvider Time, ServiceProvider Services) InProcess(Dictionary<string, string?>? settings = null)
    {
        var state = new InMemoryStateStore();
        var time = new FakeTimeProvider(Now);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddMetrics()
            .AddSingleton<IStateStore>(state)
            .AddSingleton<TimeProvider>(time)
            .AddMeshStorage(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return (services.GetRequiredService<IBlobStorage>(), state, time, services);
    }
}

/// <summary>The StorageService on a TestServer, reached through a real GrpcChannel.</summary>
public sealed class StorageServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StorageServer(WebApplication app, InMemoryStateStore state, FakeTimeProvider time)
    {
        _app = app;
        State = state;
        Time = time;
        var server = app.GetTestServer();
        Channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = server.CreateHandler() });
        Client = new StorageService.StorageServiceClient(Channel);
    }

    public InMemoryStateStore State { get; }

    /// <summary>The certificate every call presents.</summary>
    public static System.Security.Cryptography.X509Certificates.X509Certificate2 ClientCertificate { get; } =
        Mesh.Pki.DevelopmentPki.IssueClientCertificate(Mesh.Pki.DevelopmentPki.CreateRootCa("storage test CA", TimeSpan.FromDays(1)), "000.00.00.G22", "hub", TimeSpan.FromDays(1));

    public FakeTimeProvider Time { get; }

    public GrpcChannel Channel { get; }

    public StorageService.StorageServiceClient Client { get; }

    /// <summary>The gRPC-client adapter of <see cref="IBlobStorage"/>, over this server.</summary>
    public IBlobStorage RemoteStorage => new GrpcBlobStorage(Client);

    /// <summary>The server's own, in-process <see cref="IBlobStorage"/>.</summary>
    public IBlobStorage LocalStorage => _app.Services.GetRequiredService<IBlobStorage>();

    public static async Task<StorageServer> StartAsync(Dictionary<string, string?>? settings = null, Mesh.Identity.Caller? caller = null)
    {
        var state = new InMemoryStateStore();
        var time = new FakeTimeProvider(StorageHost.Now);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Services.AddSingleton<IStateStore>(state);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddGrpc(o => o.Interceptors.Add<MeshExceptionInterceptor>());
        // TestServer has no TLS: present a client certificate the way Kestrel would, resolved as a hub service
        // (or as an agency, to test that agencies are refused).
        builder.Services.AddSingleton<Mesh.Auditing.IAuditTrail, Mesh.Testing.RecordingAuditTrail>();
        builder.Services.AddSingleton<Mesh.Identity.ICertificateDirectory>(new TestCallers(caller ?? Mesh.Identity.Caller.Hub));
        // Certificates are checked against the real clock; the store's fake clock only drives retention.
        builder.Services.AddSingleton(sp => new Mesh.ServiceDefaults.Identity.CallerAccessor(
            sp.GetRequiredService<Mesh.Identity.ICertificateDirectory>(), sp.GetRequiredService<Mesh.Auditing.IAuditTrail>(), TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new Mesh.ServiceDefaults.Hosting.MeshEndpointOptions())));
        builder.Services.AddMeshStorage(builder.Configuration);
        var app = builder.Build();
        app.Use((context, next) =>
        {
            context.Connection.ClientCertificate = ClientCertificate;
            return next(context);
        });
        app.MapMeshStorage();
        await app.StartAsync();
        return new StorageServer(app, state, time);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.DisposeAsync();
    }
}

/// <summary>Resolves the test client certificate to the given caller.</summary>
internal sealed class TestCallers(Mesh.Identity.Caller caller) : Mesh.Identity.ICertificateDirectory
{
    public ValueTask<Mesh.Identity.CertificateResolution?> ResolveAsync(string thumbprint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<Mesh.Identity.CertificateResolution?>(new(caller, true, true));
}
