using Mesh.Backends.Embedded;
using Mesh.Events;
using Mesh.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the embedded (SQLite) backend.</summary>
public static class EmbeddedServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IStateStore"/>, <see cref="IEventBus"/> and the event dispatcher over one
    /// SQLite file, configured from the section <c>Mesh:Backend:Embedded</c> of <paramref name="configuration"/>
    /// and validated at start. Subscriptions are the <see cref="Subscription"/> singletons registered in DI.
    /// </summary>
    public static IServiceCollection AddMeshEmbeddedBackend(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<EmbeddedOptions>()
            .Bind(configuration.GetSection(EmbeddedOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.BusyTimeout > TimeSpan.Zero, "Mesh:Backend:Embedded:BusyTimeout must be positive.")
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Mesh:Backend:Embedded:PollInterval must be positive.")
            .Validate(o => o.OutboxRetention >= TimeSpan.Zero, "Mesh:Backend:Embedded:OutboxRetention must not be negative.")
            .Validate(o => Enum.IsDefined(o.Synchronous), "Mesh:Backend:Embedded:Synchronous must be Off, Normal, Full or Extra.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SqliteDatabase(
            sp.GetRequiredService<IOptions<EmbeddedOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SqliteDatabase).FullName!),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<TopicSignals>();
        services.TryAddSingleton(sp => new SqliteStateStore(sp.GetRequiredService<SqliteDatabase>(), ownsDatabase: false));
        services.TryAddSingleton<IStateStore>(sp => sp.GetRequiredService<SqliteStateStore>());
        services.TryAddSingleton(sp => new EmbeddedEventBus(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<TopicSignals>()));
        services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<EmbeddedEventBus>());
        services.AddHostedService<EmbeddedEventDispatcher>();
        services.TryAddSingleton<SingleProcessBackend>();
        return services;
    }
}
