using Mesh.Backends.Dapr;
using Mesh.State;
using Mesh.Testing.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Mesh.Backends.Tests.Dapr;

public sealed class DaprStateStoreConformanceTests(DaprRuntimeFixture dapr) : StateStoreConformanceTests, IClassFixture<DaprRuntimeFixture>
{
    protected override Task<IStateStore> OpenAsync(string instanceName) =>
        Task.FromResult<IStateStore>(new DaprStateStore(dapr.Client, new DaprOptions { KeyPrefix = instanceName + "/" }));
}

public sealed class DaprEventBusConformanceTests(DaprRuntimeFixture dapr) : EventBusConformanceTests, IClassFixture<DaprRuntimeFixture>
{
    protected override void AddBackend(IServiceCollection services, string instanceName)
    {
        services.AddMeshDaprBackend(dapr.Configuration(instanceName));
        services.AddHostedService(sp => new DaprAppHost(sp, dapr.Runtime));
    }
}
