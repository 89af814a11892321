using Grpc.Net.Client;
using Mesh.Contracts.Storage.V1;
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

    public FakeTimeProvider Time { get; }

    public GrpcChannel Channel { get; }

    public StorageService.StorageServiceClient Client { get; }

    /// <summary>The gRPC-client adapter of <see cref="IBlobStorage"/>, over this server.</summary>
    public IBlobStorage RemoteStorage => new GrpcBlobStorage(Client);

    public static async Task<StorageServer> StartAsync(Dictionary<string, string?>? settings = null)
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
        builder.Services.AddMeshStorage(builder.Configuration);
        var app = builder.Build();
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
