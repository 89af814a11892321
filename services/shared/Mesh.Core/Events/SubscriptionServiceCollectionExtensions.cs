using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Events;

/// <summary>Declares subscriptions the way every backend reads them: a <see cref="Subscription"/> singleton plus a scoped handler.</summary>
public static class SubscriptionServiceCollectionExtensions
{
    /// <summary>Subscribes <typeparamref name="THandler"/> to <paramref name="topic"/> as consumer group <paramref name="consumerGroup"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="topic">Topic name.</param>
    /// <param name="consumerGroup">Consumer group name.</param>
    /// <param name="configure">Adjusts retries and backoff, e.g. <c>s =&gt; s with { MaxAttempts = 3 }</c>.</param>
    public static IServiceCollection AddMeshSubscription<THandler>(
        this IServiceCollection services, string topic, string consumerGroup, Func<Subscription, Subscription>? configure = null)
        where THandler : class, IEventHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(consumerGroup);
        var subscription = new Subscription(topic, consumerGroup, typeof(THandler));
        services.AddSingleton(configure is null ? subscription : configure(subscription));
        services.AddScoped<THandler>();
        return services;
    }
}
