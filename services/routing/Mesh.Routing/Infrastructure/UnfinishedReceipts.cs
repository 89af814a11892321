using System.Collections.Concurrent;
using Mesh.ServiceDefaults.Hosting;
using Mesh.State;
using Microsoft.Extensions.Options;

namespace Mesh.Routing.Infrastructure;

/// <summary>
/// The documents this process is finishing (events published, receipt stored) after it has
/// answered their sender: callers that need the stored receipt wait here for it, and stopping
/// waits for all of them (<see cref="DrainAsync"/>).
/// </summary>
internal sealed partial class UnfinishedReceipts(ILogger<UnfinishedReceipts> logger)
{
    private readonly ConcurrentDictionary<string, Task<ReceiptRecord>> inFlight = new(StringComparer.Ordinal);
    private readonly ILogger logger = logger;

    /// <summary>How many documents are being finished now.</summary>
    public int Count => inFlight.Count;

    /// <summary>The finishing of <paramref name="documentId"/> in this process, or null.</summary>
    public Task<ReceiptRecord>? Find(string documentId) => inFlight.TryGetValue(documentId, out var task) ? task : null;

    /// <summary>Starts finishing a document; a failure is logged and leaves its marker for the sweep.</summary>
    public Task<ReceiptRecord> Start(string documentId, Func<Task<ReceiptRecord>> finish)
    {
        var task = finish();
        inFlight[documentId] = task;
        _ = task.ContinueWith(
            (t, state) =>
            {
                var (self, id) = ((UnfinishedReceipts, string))state!;
                self.inFlight.TryRemove(KeyValuePair.Create(id, t));
                if (t.Exception is { } e)
                {
                    LogFinishFailed(self.logger, e.GetBaseException(), id);
                }
            },
            (this, documentId),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return task;
    }

    /// <summary>Waits until every document being finished now is finished (or has failed, which is logged).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (!inFlight.IsEmpty)
        {
            try
            {
                await Task.WhenAll(inFlight.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Logged by the continuation; the marker stays for the sweep.
            }

            // Let the continuations remove what completed.
            await Task.Yield();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing the receipt and events of document {DocumentId} failed; the receipt sweep completes it")]
    private static partial void LogFinishFailed(ILogger logger, Exception exception, string documentId);
}

/// <summary>
/// Completes accepted documents whose receipt or events were not stored because the process that
/// accepted them stopped first (their <c>routing/unfinished/</c> marker outlived
/// <see cref="RoutingOptions.ReceiptSweepAge"/>): at start and every
/// <see cref="RoutingOptions.ReceiptSweepInterval"/>. Stopping waits for the documents this process is
/// finishing, so an orderly stop leaves no marker behind.
/// </summary>
internal sealed partial class ReceiptSweeper(
    IStateStore store,
    DocumentExchange exchange,
    UnfinishedReceipts finishing,
    IOptions<RoutingOptions> options,
    TimeProvider time,
    ILogger<ReceiptSweeper> logger) : PeriodicWork(time)
{
    protected override TimeSpan Interval => options.Value.ReceiptSweepInterval;

    protected override bool RunAtStart => true;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => SweepAsync(cancellationToken);

    protected override void OnFailed(Exception exception) => LogSweepFailed(logger, exception);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await finishing.DrainAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes every unfinished document old enough; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var before = Time.GetUtcNow() - options.Value.ReceiptSweepAge;
        var completed = 0;
        string? after = null;
        while (true)
        {
            var page = await store.ScanAsync(RoutingKeys.UnfinishedPrefix, after, 200, cancellationToken).ConfigureAwait(false);
            foreach (var marker in page)
            {
                if (RoutingKeys.UnfinishedSince(marker.Value.Span) <= before && await exchange.FinishUnfinishedAsync(marker.Key[RoutingKeys.UnfinishedPrefix.Length..], cancellationToken).ConfigureAwait(false))
                {
                    completed++;
                }
            }

            if (page.Count < 200)
            {
                break;
            }

            after = page[^1].Key;
        }

        if (completed > 0)
        {
            LogCompleted(logger, completed);
        }

        return completed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Completed {Count} accepted documents whose receipt or events were not stored before the hub stopped")]
    private static partial void LogCompleted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The receipt sweep failed; retried at the next run")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
