using Mesh.Backends.Redis;
using Mesh.Events;
using Mesh.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis backend.</summary>
public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IStateStore"/>, <see cref="IEventBus"/> and the Redis Streams dispatcher, configured
    /// from the section <c>Mesh:Backend:Redis</c> of <paramref name="configuration"/> and validated at start.
    /// Subscriptions are the <see cref="Subscription"/> singletons registered in DI.
    /// </summary>
    public static IServiceCollection AddMeshRedisBackend(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<RedisOptions>()
            .Bind(configuration.GetSection(RedisOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.VisibilityTimeout > TimeSpan.Zero, "Mesh:Backend:Redis:VisibilityTimeout must be positive.")
            .Validate(o => o.ReclaimInterval > TimeSpan.Zero && o.ReclaimInterval <= o.VisibilityTimeout, "Mesh:Backend:Redis:ReclaimInterval must be positive and at most the VisibilityTimeout.")
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Mesh:Backend:Redis:PollInterval must be positive.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new RedisConnection(sp.GetRequiredService<IOptions<RedisOptions>>().Value));
        services.TryAddSingleton(sp => new RedisStateStore(sp.GetRequiredService<RedisConnection>()));
        services.TryAddSingleton<IStateStore>(sp => sp.GetRequiredService<RedisStateStore>());
        services.TryAddSingleton(sp => new RedisEventBus(sp.GetRequiredService<RedisConnection>(), sp.GetRequiredService<IOptions<RedisOptions>>().Value));
        services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<RedisEventBus>());
        services.AddHostedService<RedisEventDispatcher>();
        return services;
    }
}
