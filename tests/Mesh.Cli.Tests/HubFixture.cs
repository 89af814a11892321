using Mesh.Hub;
using Mesh.ServiceDefaults.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Cli.Tests;

/// <summary>The real hub (Mesh.Hub's composition) on Kestrel + TLS on a free loopback port, with its data folder.</summary>
public sealed class HubFixture : IAsyncLifetime
{
    private WebApplication app = null!;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "mesh-cli-" + Guid.NewGuid().ToString("N"));

    public string Address { get; private set; } = "";

    public string AdminPfx => Path.Combine(DataDirectory, "admin.pfx");

    public string CaPem => Path.Combine(DataDirectory, "pki", "ca.pem");

    /// <summary>The global options that reach this hub as the bootstrap administrator.</summary>
    public string[] AsAdmin => ["--hub", Address, "--cert", AdminPfx, "--ca", CaPem];

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mesh:DataDirectory"] = DataDirectory,
            ["Mesh:Endpoint:Port"] = "0",
            ["Mesh:Endpoint:LoopbackOnly"] = "true",
            ["Mesh:Routing:WatchRescan"] = "00:00:01",
            ["Mesh:Routing:WatchHeartbeat"] = "00:00:05",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddMeshDefaults("mesh-hub-cli-test");
        builder.AddMeshHubServices();
        app = builder.Build();
        app.UseMeshDefaults();
        app.MapMeshHubServices();
        await app.StartAsync();
        await app.Services.GetRequiredService<HubBootstrap>().RunAsync(CancellationToken.None);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // The hub's development certificate names localhost, not the wildcard it listens on.
        Address = $"https://localhost:{new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)).Port}";
    }

    public async Task DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class HubCollection : ICollectionFixture<HubFixture>
{
    public const string Name = "hub";
}
