using Mesh.Testing.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Mesh.Backends.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisEventBusConformanceTests(RedisServerFixture redis) : EventBusConformanceTests
{
    protected override void AddBackend(IServiceCollection services, string instanceName) =>
        services.AddMeshRedisBackend(redis.Configuration(instanceName));

    protected override Task DeleteInstanceAsync(string instanceName) => redis.DeleteInstanceAsync(instanceName);
}
