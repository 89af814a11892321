using Mesh.Auditing;

namespace Mesh.Audit.Domain;

/// <summary>Which agency's counters an event moves (the audit proto's StatisticsRow definitions).</summary>
public static class AuditStatisticsRules
{
    /// <summary>
    /// Sent: DOCUMENT_ACCEPTED, for the actor. Received: DELIVERY_CREATED, for each recipient
    /// (counterpart). Refused: DOCUMENT_REFUSED, for the actor, by reason (the outcome). Late and
    /// overdue: DEADLINE_FLAGGED whose detail starts with "late" or "overdue", for the flagged
    /// agency — the actor when set, otherwise the counterparts (the hub raises most flags).
    /// Every other event counts only in <see cref="AgencyDayStatistics.Events"/> of its actor.
    /// </summary>
    public static IEnumerable<(string OrganId, Action<AgencyDayStatistics> Apply)> Contributions(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Actor.Length > 0)
        {
            yield return (e.Actor, s => s.Events++);
        }

        switch (e.Type)
        {
            case AuditEventTypes.DocumentAccepted when e.Actor.Length > 0:
                yield return (e.Actor, s => s.Sent++);
                break;
            case AuditEventTypes.DeliveryCreated:
                foreach (var recipient in e.Counterparts.Distinct(StringComparer.Ordinal))
                {
                    yield return (recipient, s => s.Received++);
                }

                break;
            case AuditEventTypes.DocumentRefused when e.Actor.Length > 0:
                yield return (e.Actor, s =>
                {
                    s.Refused++;
                    s.RefusedByReason[e.Outcome] = s.RefusedByReason.GetValueOrDefault(e.Outcome) + 1;
                });
                break;
            case AuditEventTypes.DeadlineFlagged:
                var flagged = e.Actor.Length > 0 ? [e.Actor] : e.Counterparts.Distinct(StringComparer.Ordinal);
                Action<AgencyDayStatistics>? flag =
                    e.Detail.StartsWith("late", StringComparison.OrdinalIgnoreCase) ? s => s.Late++
                    : e.Detail.StartsWith("overdue", StringComparison.OrdinalIgnoreCase) ? s => s.Overdue++
                    : null;
                if (flag is not null)
                {
                    foreach (var organ in flagged)
                    {
                        yield return (organ, flag);
                    }
                }

                break;
            default:
                break;
        }
    }
}

/// <summary>
/// Counters of one agency on one UTC day — the figures the operator publishes (documents sent,
/// received, refused by reason, late, overdue). Maintained in the same transaction as the log.
/// </summary>
public sealed class AgencyDayStatistics
{
    public long Events { get; set; }

    public long Sent { get; set; }

    public long Received { get; set; }

    public long Refused { get; set; }

    public long Late { get; set; }

    public long Overdue { get; set; }

    public SortedDictionary<string, long> RefusedByReason { get; } = new(StringComparer.Ordinal);

    public void Add(AgencyDayStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Events += other.Events;
        Sent += other.Sent;
        Received += other.Received;
        Refused += other.Refused;
        Late += other.Late;
        Overdue += other.Overdue;
        foreach (var (reason, count) in other.RefusedByReason)
        {
            RefusedByReason[reason] = RefusedByReason.GetValueOrDefault(reason) + count;
        }
    }
}

/// <summary>One row of a statistics answer.</summary>
public sealed record AgencyStatisticsRow(string OrganId, DateOnly Day, AgencyDayStatistics Counters);

/// <summary>
/// Statistics over a period: rows per agency and day (or month, dated on its first day), totals,
/// the agencies that exchanged at least one document in the period, and the agencies the log has
/// seen act up to the period's end.
/// </summary>
public sealed record AuditStatisticsReport(
    DateOnly From,
    DateOnly To,
    IReadOnlyList<AgencyStatisticsRow> Rows,
    AgencyDayStatistics Totals,
    int AgenciesConnected,
    int AgenciesSeen);
