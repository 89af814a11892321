using Mesh.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Backends.Redis;

/// <summary>Runs one <see cref="RedisSubscriptionLane"/> per registered <see cref="Subscription"/> for the life of the host.</summary>
internal sealed class RedisEventDispatcher(
    RedisConnection connection,
    IOptions<RedisOptions> options,
    IEnumerable<Subscription> subscriptions,
    IServiceScopeFactory scopes,
    TimeProvider timeProvider,
    ILogger<RedisEventDispatcher> logger) : IHostedService
{
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> lanes = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var subscription in subscriptions)
        {
            var lane = new RedisSubscriptionLane(connection, options.Value, subscription, scopes, timeProvider, logger);
            lanes.Add(Task.Run(() => SuperviseAsync(lane, subscription, stopping.Token), CancellationToken.None));
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        // Handlers see the cancellation and return without acknowledging: their events stay pending for the next start.
        await Task.WhenAll(lanes).WaitAsync(cancellationToken).ConfigureAwait(false);
        stopping.Dispose();
    }

    private async Task SuperviseAsync(RedisSubscriptionLane lane, Subscription subscription, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await lane.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Log.LaneFailed(logger, subscription.Topic, subscription.ConsumerGroup, exception);
                try
                {
                    await Task.Delay(options.Value.PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
