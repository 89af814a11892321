using Mesh.Backends.Embedded;
using Mesh.State;
using Mesh.Testing.Conformance;

namespace Mesh.Backends.Tests.Embedded;

public sealed class EmbeddedStateStoreConformanceTests : StateStoreConformanceTests, IDisposable
{
    private readonly TempDirectory root = new();

    protected override Task<IStateStore> OpenAsync(string instanceName) =>
        Task.FromResult<IStateStore>(SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = root.Sub(instanceName) }));

    public void Dispose() => root.Dispose();
}
