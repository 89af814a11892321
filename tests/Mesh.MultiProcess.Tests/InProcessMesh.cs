using Mesh.Audit;
using Mesh.Registry;
using Mesh.Registry.Infrastructure;
using Mesh.Routing;
using Mesh.ServiceDefaults.Hosting;
using Mesh.ServiceDefaults.Peers;
using Mesh.Signature;
using Mesh.Storage;
using Mesh.Testing.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.MultiProcess.Tests;

/// <summary>
/// The five services as five ASP.NET Core hosts inside the test process, each composed as its
/// <c>Program.cs</c> composes it, with the same <see cref="ClusterLayout"/> configuration as the
/// process cluster: its own Kestrel on its own loopback port with TLS, its own DI container, Redis
/// connection and peer channels (client certificate, test CA) to the other four. Calls between them
/// are real gRPC over TLS sockets; only the address space is shared, which is what lets one in-memory
/// exporter see every span.
/// </summary>
public sealed class InProcessMesh : IAsyncDisposable
{
    private readonly Dictionary<string, WebApplication> apps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CapturingLoggerProvider> logs = new(StringComparer.Ordinal);

    private InProcessMesh(ClusterLayout layout) => Layout = layout;

    public ClusterLayout Layout { get; }

    public IServiceProvider this[string service] => apps[service].Services;

    /// <summary>Starts the five hosts and returns once the registry's bootstrap (service and admin certificates) is done.</summary>
    /// <param name="configure">Applied to each service's builder after its own registrations (e.g. an extra exporter).</param>
    public static async Task<InProcessMesh> StartAsync(Action<string, WebApplicationBuilder>? configure = null)
    {
        var mesh = new InProcessMesh(new ClusterLayout(Path.Combine(Path.GetTempPath(), "mesh-hosts-" + Guid.NewGuid().ToString("N"))));
        try
        {
            foreach (var service in ClusterLayout.Services)
            {
                mesh.logs[service] = new CapturingLoggerProvider();
                mesh.apps[service] = Build(service, mesh.Layout, mesh.logs[service], configure);
            }

            foreach (var app in mesh.apps.Values)
            {
                await app.StartAsync();
            }

            try
            {
                await mesh["Registry"].GetRequiredService<RegistryBootstrap>().Completed.WaitAsync(TimeSpan.FromSeconds(90));
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException("The registry's start-up setup did not finish within 90 s. What the hosts logged:" + Environment.NewLine + mesh.Logs(), e);
            }

            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every host's log lines (Information and above), by service.</summary>
    public string Logs() => string.Join(Environment.NewLine, logs.Select(l => $"===== {l.Key}{Environment.NewLine}{l.Value}"));

    public async ValueTask DisposeAsync()
    {
        // Routing first: it calls everyone else.
        foreach (var app in apps.Values.Reverse())
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        await Layout.DeleteRedisKeysAsync();
        if (Directory.Exists(Layout.Directory))
        {
            Directory.Delete(Layout.Directory, recursive: true);
        }
    }

    private static WebApplication Build(string service, ClusterLayout layout, CapturingLoggerProvider log, Action<string, WebApplicationBuilder>? configure)
    {
        var directory = layout.DataDirectory(service);
        Directory.CreateDirectory(directory);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ApplicationName = "Mesh." + service,
            ContentRootPath = directory,
        });
        var settings = layout.Settings(service);
        // The test runner's environment must not move the endpoint (MeshDefaults honours an explicit URL).
        settings["urls"] = "";
        settings["ASPNETCORE_URLS"] = "";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // As services/<service>/Mesh.<Service>/Program.cs.
        switch (service)
        {
            case "Registry":
                builder.AddMeshDefaults("mesh-registry");
                builder.Services.AddMeshRegistry();
                builder.Services.AddMeshRegistryPeers();
                break;
            case "Signature":
                builder.AddMeshDefaults("mesh-signature");
                builder.AddSignature();
                builder.Services.AddSignaturePeers();
                break;
            case "Storage":
                builder.AddMeshDefaults("mesh-storage");
                builder.Services.AddMeshStorage(builder.Configuration);
                builder.Services.AddMeshRemotePeers();
                break;
            case "Audit":
                builder.AddMeshDefaults("mesh-audit");
                builder.Services.AddMeshAudit();
                builder.Services.AddMeshRemotePeers();
                break;
            case "Routing":
                builder.AddMeshDefaults("mesh-routing");
                builder.Services.AddMeshRouting();
                builder.Services.AddMeshRoutingPeers();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(service), service, "not a Mesh service");
        }

        configure?.Invoke(service, builder);
        var app = builder.Build();
        app.UseMeshDefaults();
        app.MapMeshDefaults();
        switch (service)
        {
            case "Registry":
                app.MapMeshRegistry();
                break;
            case "Signature":
                app.MapSignature();
                break;
            case "Storage":
                app.MapMeshStorage();
                break;
            case "Audit":
                app.MapMeshAudit();
                break;
            case "Routing":
                app.MapMeshRouting();
                break;
        }

        return app;
    }
}
