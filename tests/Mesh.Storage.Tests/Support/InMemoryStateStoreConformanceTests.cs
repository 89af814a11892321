using Mesh.State;
using Mesh.Testing.Conformance;

namespace Mesh.Storage.Tests.Support;

/// <summary>The in-memory stand-in passes the same IStateStore contract as the real backends, so storage tests on it mean something.</summary>
public sealed class InMemoryStateStoreConformanceTests : StateStoreConformanceTests
{
    private readonly Dictionary<string, InMemoryStateStore> _instances = [];

    protected override Task<IStateStore> OpenAsync(string instanceName)
    {
        if (!_instances.TryGetValue(instanceName, out var store))
        {
            store = new InMemoryStateStore();
            _instances[instanceName] = store;
        }

        return Task.FromResult<IStateStore>(store);
    }
}
