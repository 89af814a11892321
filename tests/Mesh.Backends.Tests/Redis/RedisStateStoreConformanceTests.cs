using Mesh.Backends.Redis;
using Mesh.State;
using Mesh.Testing.Conformance;
using Xunit;

namespace Mesh.Backends.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisStateStoreConformanceTests(RedisServerFixture redis) : StateStoreConformanceTests
{
    protected override Task<IStateStore> OpenAsync(string instanceName) =>
        Task.FromResult<IStateStore>(RedisStateStore.Open(redis.Options(instanceName)));

    protected override Task DeleteInstanceAsync(string instanceName) => redis.DeleteInstanceAsync(instanceName);
}
