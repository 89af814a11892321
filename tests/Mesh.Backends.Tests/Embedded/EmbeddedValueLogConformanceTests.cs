using Mesh.Backends.Embedded;
using Mesh.State;
using Mesh.Testing.Conformance;

namespace Mesh.Backends.Tests.Embedded;

/// <summary>The whole state-store contract again with every value (any key, any size) kept in the value segments.</summary>
public sealed class EmbeddedValueLogConformanceTests : StateStoreConformanceTests, IDisposable
{
    private readonly TempDirectory root = new();

    protected override Task<IStateStore> OpenAsync(string instanceName) =>
        Task.FromResult<IStateStore>(SqliteStateStore.Open(new EmbeddedOptions
        {
            DataDirectory = root.Sub(instanceName),
            ValueLogPrefixes = [string.Empty],
            ValueLogMinBytes = 1,
        }));

    public void Dispose() => root.Dispose();
}
