using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Mesh.Auditing;
using Mesh.ServiceDefaults.Hosting;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Mesh.Registry.Tests;

/// <summary>
/// Mesh:Endpoint:InternalPort: the plaintext h2c port beside the TLS agency port that Kubernetes gRPC
/// probes and the Dapr sidecar use (kubelet probes cannot speak TLS).
/// </summary>
public sealed class InternalPortTests
{
    [Fact]
    public async Task Health_is_served_over_h2c_on_the_internal_port_while_the_main_port_stays_TLS()
    {
        var internalPort = FreePort();
        var data = Directory.CreateTempSubdirectory("mesh-internal-port-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mesh:DataDirectory"] = data,
            ["Mesh:Endpoint:Port"] = "0",
            ["Mesh:Endpoint:LoopbackOnly"] = "true",
            ["Mesh:Endpoint:InternalPort"] = internalPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Logging.ClearProviders();
        builder.AddMeshDefaults("internal-port-test");
        builder.Services.AddMeshRegistry(); // the caller identity of ServiceDefaults resolves certificates through it
        builder.Services.AddSingleton<IAuditTrail>(new RecordingAuditTrail());
        await using var app = builder.Build();
        app.MapMeshDefaults();
        await app.StartAsync();
        try
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            addresses.Should().HaveCount(2);
            addresses.Should().ContainSingle(a => a.StartsWith("https://", StringComparison.Ordinal));
            addresses.Should().ContainSingle(a => a.StartsWith("http://", StringComparison.Ordinal) && a.EndsWith($":{internalPort}", StringComparison.Ordinal));

            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{internalPort}");
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
            reply.Status.Should().Be(HealthCheckResponse.Types.ServingStatus.Serving);
        }
        finally
        {
            await app.StopAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static int FreePort() => Mesh.Testing.FreePorts.Next();
}
