using Microsoft.Extensions.Hosting;

namespace Mesh.ServiceDefaults.Hosting;

/// <summary>
/// Background work run every <see cref="Interval"/> on a <see cref="TimeProvider"/> (so tests can drive
/// it with a fake clock). A failed run is reported to <see cref="OnFailed"/> and retried at the next
/// tick; it never stops the host.
/// </summary>
public abstract class PeriodicWork(TimeProvider time) : BackgroundService
{
    /// <summary>The clock the runs are timed by.</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>Time between runs.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>Whether the first run happens at start rather than after one interval.</summary>
    protected virtual bool RunAtStart => false;

    /// <summary>One run.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>A run failed (typically: log it).</summary>
    protected abstract void OnFailed(Exception exception);

    /// <inheritdoc />
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        try
        {
            if (RunAtStart)
            {
                await RunGuardedAsync(stoppingToken).ConfigureAwait(false);
            }

            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await RunGuardedAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunGuardedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunOnceAsync(stoppingToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever failed is retried at the next tick; a sweep must not stop the host.
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            OnFailed(e);
        }
    }
}
