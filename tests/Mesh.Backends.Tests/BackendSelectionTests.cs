using FluentAssertions;
using Mesh.Backends.Dapr;
using Mesh.Backends.Redis;
using Mesh.Events;
using Mesh.ServiceDefaults.Hosting;
using Mesh.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Mesh.Backends.Tests;

public sealed class BackendSelectionTests
{
    [Theory]
    [InlineData("Redis", typeof(RedisStateStore), typeof(RedisEventBus))]
    [InlineData("Dapr", typeof(DaprStateStore), typeof(DaprEventBus))]
    public async Task AddMeshBackend_Kind_RegistersThatBackendsPorts(string kind, Type stateStore, Type eventBus)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Mesh:Backend:Kind"] = kind,
                ["Mesh:Backend:Redis:ConnectionString"] = "127.0.0.1:1,abortConnect=false",
                ["Mesh:Backend:Dapr:GrpcEndpoint"] = "http://127.0.0.1:1",
            })
            .Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);

        services.AddMeshBackend(configuration);
        // Disposed asynchronously, as the generic host does: the Redis connection only closes asynchronously.
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStateStore>().Should().BeOfType(stateStore);
        provider.GetRequiredService<IEventBus>().Should().BeOfType(eventBus);
    }

    [Fact]
    public void AddMeshRedisBackend_KeyPrefixWithBraces_FailsValidation()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Mesh:Backend:Redis:KeyPrefix"] = "{mesh}" })
            .Build();
        using var provider = new ServiceCollection().AddLogging().AddMeshRedisBackend(configuration).BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<RedisOptions>>().Value;

        read.Should().Throw<OptionsValidationException>().WithMessage("*KeyPrefix*");
    }
}
