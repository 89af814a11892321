using Mesh.Registry.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Registry.Infrastructure;

/// <summary>
/// Follows the stored change feed so that caches in this process also learn about changes made
/// by other registry instances (several replicas behind one Kubernetes service).
/// </summary>
public sealed partial class RegistryChangePoller(AgencyRegistry registry, RegistryChangeFeed feed, IOptions<RegistryOptions> options, TimeProvider time, ILogger<RegistryChangePoller> logger) : BackgroundService
{
    private readonly HashSet<long> seenLocally = [];
    private readonly Lock gate = new();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        feed.Changed += MarkSeen;
        long cursor;
        try
        {
            cursor = await registry.CurrentSequenceAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.ChangePollInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                foreach (var change in await registry.ChangesAsync(cursor, 500, stoppingToken).ConfigureAwait(false))
                {
                    cursor = change.Sequence;
                    bool local;
                    lock (gate)
                    {
                        local = seenLocally.Remove(change.Sequence);
                    }

                    if (!local)
                    {
                        feed.Publish(change);
                        lock (gate)
                        {
                            seenLocally.Remove(change.Sequence);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPollFailed(logger, ex);
            }
        }
    }

    private void MarkSeen(RegistryChange change)
    {
        lock (gate)
        {
            seenLocally.Add(change.Sequence);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the registry change feed failed; will retry")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
