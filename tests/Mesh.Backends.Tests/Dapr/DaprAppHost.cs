using System.Net;
using Mesh.Backends.Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Backends.Tests.Dapr;

/// <summary>
/// The app side of a Dapr pod inside a test host: serves <c>MapMeshDaprSubscriptions()</c> on a loopback port with
/// the host's own <see cref="DaprEventDelivery"/>, and tells the runtime double it is up (as the sidecar learns
/// when its app starts) and gone when the host stops.
/// </summary>
public sealed class DaprAppHost(IServiceProvider services, DaprRuntimeDouble runtime) : IHostedService
{
    private WebApplication? app;
    private IAsyncDisposable? attachment;

    public Uri? BaseAddress { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(services.GetRequiredService<DaprEventDelivery>());
        builder.Services.AddSingleton(services.GetRequiredService<IOptions<DaprOptions>>());
        app = builder.Build();
        app.MapMeshDaprSubscriptions();
        await app.StartAsync(cancellationToken);
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/");
        attachment = await runtime.AttachAppAsync(BaseAddress, cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (attachment is not null)
        {
            await attachment.DisposeAsync();
        }

        if (app is not null)
        {
            await app.StopAsync(cancellationToken);
            await app.DisposeAsync();
        }
    }
}
