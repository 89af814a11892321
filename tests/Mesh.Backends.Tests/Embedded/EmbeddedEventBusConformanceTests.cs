using Mesh.Backends.Embedded;
using Mesh.Testing.Conformance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Backends.Tests.Embedded;

public sealed class EmbeddedEventBusConformanceTests : EventBusConformanceTests, IDisposable
{
    private readonly TempDirectory root = new();

    protected override void AddBackend(IServiceCollection services, string instanceName)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{EmbeddedOptions.SectionName}:{nameof(EmbeddedOptions.DataDirectory)}"] = root.Sub(instanceName),
            })
            .Build();
        services.AddMeshEmbeddedBackend(configuration);
    }

    public void Dispose() => root.Dispose();
}
