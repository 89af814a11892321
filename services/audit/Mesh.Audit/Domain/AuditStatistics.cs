namespace Mesh.Audit.Domain;

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

    /// <summary>Counts one event for its actor: the actor is the agency the figure is about.</summary>
    public void Count(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Events++;
        switch (e.Type)
        {
            case AuditEventTypes.DocumentAccepted:
                Sent++;
                break;
            case AuditEventTypes.DocumentDelivered:
                Received++;
                break;
            case AuditEventTypes.DocumentRefused:
                Refused++;
                var reason = e.Reason.Length == 0 ? "UNSPECIFIED" : e.Reason;
                RefusedByReason[reason] = RefusedByReason.GetValueOrDefault(reason) + 1;
                break;
            case AuditEventTypes.DeadlineLate:
                Late++;
                break;
            case AuditEventTypes.DeliveryOverdue:
                Overdue++;
                break;
            default:
                break;
        }
    }

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

/// <summary>Statistics over a period: daily rows, totals, and how many agencies have connected so far.</summary>
public sealed record AuditStatisticsReport(
    DateOnly From,
    DateOnly To,
    IReadOnlyList<AgencyStatisticsRow> Rows,
    AgencyDayStatistics Totals,
    int AgenciesConnected,
    int AgenciesActiveInPeriod);
