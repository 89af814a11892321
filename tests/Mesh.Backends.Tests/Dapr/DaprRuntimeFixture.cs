using Dapr.Client;
using Grpc.Net.Client;
using Mesh.Backends.Dapr;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Mesh.Backends.Tests.Dapr;

/// <summary>One <see cref="DaprRuntimeDouble"/> per test class and a DaprClient pointed at it; tests isolate by key prefix and pub/sub name.</summary>
public sealed class DaprRuntimeFixture : IAsyncLifetime
{
    private DaprRuntimeDouble? runtime;
    private DaprClient? client;

    public DaprRuntimeDouble Runtime => runtime ?? throw new InvalidOperationException("The fixture is not started.");

    public DaprClient Client => client ?? throw new InvalidOperationException("The fixture is not started.");

    public async Task InitializeAsync()
    {
        runtime = await DaprRuntimeDouble.StartAsync();
        client = new DaprClientBuilder()
            .UseGrpcEndpoint(runtime.GrpcEndpoint)
            .UseGrpcChannelOptions(new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 64 * 1024 * 1024 })
            .Build();
    }

    public async Task DisposeAsync()
    {
        client?.Dispose();
        if (runtime is not null)
        {
            await runtime.DisposeAsync();
        }
    }

    /// <summary>Backend configuration for one isolated instance.</summary>
    public IConfiguration Configuration(string instanceName) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{DaprOptions.SectionName}:{nameof(DaprOptions.GrpcEndpoint)}"] = Runtime.GrpcEndpoint,
                [$"{DaprOptions.SectionName}:{nameof(DaprOptions.StateStoreName)}"] = "statestore",
                [$"{DaprOptions.SectionName}:{nameof(DaprOptions.PubSubName)}"] = "pubsub-" + instanceName,
                [$"{DaprOptions.SectionName}:{nameof(DaprOptions.KeyPrefix)}"] = instanceName + "/",
            })
            .Build();
}
