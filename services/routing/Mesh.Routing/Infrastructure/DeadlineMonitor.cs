using Mesh.ServiceDefaults.Hosting;
using Google.Protobuf;
using Mesh.Auditing;
using Mesh.Contracts.Routing.V1;
using Mesh.Routing.Domain;
using Mesh.State;
using Microsoft.Extensions.Options;

namespace Mesh.Routing.Infrastructure;

/// <summary>
/// Flags deliveries not acknowledged by the end of the working day they were delivered
/// (NĐ 30 Art. 21.2: the receiver notifies the sender the same day). Every send writes a due key
/// ordered by its deadline; an acknowledgement removes it; this service reads the keys whose time
/// has come. A flag is counted, audited (DEADLINE_FLAGGED), shown in traces and inboxes and
/// published (deadline.overdue) — never silently dropped.
/// </summary>
internal sealed partial class DeadlineMonitor(
    IStateStore store,
    DocumentExchange exchange,
    TimeProvider time,
    IOptions<RoutingOptions> options,
    ILogger<DeadlineMonitor> logger) : PeriodicWork(time)
{
    protected override TimeSpan Interval => options.Value.DeadlineScanInterval;

    protected override bool RunAtStart => true;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => ScanAsync(cancellationToken);

    protected override void OnFailed(Exception exception) => LogScanFailed(logger, exception);

    /// <summary>Flags every delivery due before now; returns how many were flagged.</summary>
    public async Task<int> ScanAsync(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var flagged = 0;
        string? after = null;
        while (true)
        {
            var batch = await store.ScanAsync(RoutingKeys.DuePrefix, after, 200, cancellationToken).ConfigureAwait(false);
            foreach (var due in batch)
            {
                var ticks = long.Parse(due.Key.AsSpan(RoutingKeys.DuePrefix.Length, 19), System.Globalization.CultureInfo.InvariantCulture);
                if (ticks > now.UtcTicks)
                {
                    return flagged;
                }

                if (await FlagAsync(due, now, cancellationToken).ConfigureAwait(false))
                {
                    flagged++;
                }
            }

            if (batch.Count < 200)
            {
                return flagged;
            }

            after = batch[^1].Key;
        }
    }

    private async Task<bool> FlagAsync(StateItem due, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entry = Stored.Read(due, RoutingJson.Default.DueEntry);
        var item = await store.GetAsync(entry.DeliveryKey, cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            await store.DeleteAsync(due.Key, due.ETag, cancellationToken).ConfigureAwait(false);
            return false;
        }

        var delivery = Stored.Read(item, RoutingJson.Default.DeliveryRecord);
        if (delivery.Overdue || DeliveryRules.IsAnswered(delivery.State))
        {
            await store.DeleteAsync(due.Key, due.ETag, cancellationToken).ConfigureAwait(false);
            return false;
        }

        var updated = delivery with
        {
            Overdue = true,
            UpdateTime = now,
            Events = [.. delivery.Events, new TraceEntry(now, "flag.overdue", "", $"not acknowledged by {delivery.AcknowledgeBy:O}")],
        };
        try
        {
            await store.TransactAsync(
                [
                    StateOperation.Upsert(entry.DeliveryKey, Stored.Write(updated, RoutingJson.Default.DeliveryRecord), item.ETag),
                    StateOperation.Delete(due.Key, due.ETag),
                ],
                cancellationToken).ConfigureAwait(false);
        }
        catch (ETagMismatchException)
        {
            // Acknowledged meanwhile, or flagged by another instance: the next scan sees the truth.
            return false;
        }

        RoutingTelemetry.DeliveriesOverdue.Add(1);
        await exchange.RecordAuditAsync(
            new AuditRecord(AuditEventTypes.DeadlineFlagged, now, "") { DocumentId = delivery.DocumentId, Counterparts = [delivery.Recipient, delivery.Sender], Outcome = "OVERDUE", Detail = $"delivery {delivery.Id} not acknowledged by {delivery.AcknowledgeBy:O}" },
            cancellationToken).ConfigureAwait(false);
        var data = new InboxItem { Kind = InboxItemKind.Document, ItemId = delivery.Id, DeliveryState = RoutingViews.State(delivery.State), Flags = new DeadlineFlags { Overdue = true } };
        await exchange.PublishAsync(RoutingTopics.DeadlineOverdue, delivery.Id, delivery.Recipient, data.ToByteArray(), cancellationToken).ConfigureAwait(false);
        LogOverdue(logger, delivery.Id, delivery.AcknowledgeBy);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {DeliveryId} is overdue: not acknowledged by {Due}")]
    private static partial void LogOverdue(ILogger logger, string deliveryId, DateTimeOffset due);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deadline scan failed; retried at the next tick")]
    private static partial void LogScanFailed(ILogger logger, Exception exception);
}
