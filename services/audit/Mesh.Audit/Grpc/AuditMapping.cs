using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;
using Mesh.Auditing;
using Mesh.Errors;
using Proto = Mesh.Contracts.Audit.V1;

namespace Mesh.Audit.Grpc;

/// <summary>Proto ↔ domain for the audit API.</summary>
public static class AuditMapping
{
    private static readonly (Proto.EventType Proto, string Domain)[] Types =
    [
        (Proto.EventType.DocumentAccepted, AuditEventTypes.DocumentAccepted),
        (Proto.EventType.DocumentRefused, AuditEventTypes.DocumentRefused),
        (Proto.EventType.DeliveryCreated, AuditEventTypes.DeliveryCreated),
        (Proto.EventType.DeliveryDownloaded, AuditEventTypes.DeliveryDownloaded),
        (Proto.EventType.DeliveryAcknowledged, AuditEventTypes.DeliveryAcknowledged),
        (Proto.EventType.StatusReported, AuditEventTypes.StatusReported),
        (Proto.EventType.DocumentRevoked, AuditEventTypes.DocumentRevoked),
        (Proto.EventType.DeadlineFlagged, AuditEventTypes.DeadlineFlagged),
        (Proto.EventType.RegistryChanged, AuditEventTypes.RegistryChanged),
        (Proto.EventType.AuthenticationFailed, AuditEventTypes.AuthenticationFailed),
        (Proto.EventType.AuthorizationFailed, AuditEventTypes.AuthorizationFailed),
        (Proto.EventType.StatusRefused, AuditEventTypes.StatusRefused),
    ];

    public static string ToDomain(Proto.EventType type, string field)
    {
        foreach (var (proto, domain) in Types)
        {
            if (proto == type)
            {
                return domain;
            }
        }

        throw MeshException.Invalid("AUDIT_EVENT_TYPE_INVALID", field, "a known event type");
    }

    public static Proto.EventType ToProto(string type)
    {
        foreach (var (proto, domain) in Types)
        {
            if (domain == type)
            {
                return proto;
            }
        }

        return Proto.EventType.Unspecified;
    }

    public static AuditEvent ToDomain(Proto.AuditEvent? e)
    {
        if (e is null)
        {
            throw MeshException.Invalid("AUDIT_EVENT_INVALID", "event", "required");
        }

        if (e.Time is null)
        {
            throw MeshException.Invalid("AUDIT_EVENT_INVALID", "event.time", "required");
        }

        return new AuditEvent
        {
            Type = ToDomain(e.Type, "event.type"),
            Time = e.Time.ToDateTimeOffset(),
            Actor = e.ActorOrganId,
            DocumentId = e.DocumentId,
            BusinessDocumentId = e.BusinessDocumentId,
            Counterparts = [.. e.CounterpartOrganIds],
            Digests = [.. e.Digests],
            Outcome = e.Outcome.Length == 0 ? AuditEvent.OutcomeOk : e.Outcome,
            Detail = e.Detail,
            TraceId = e.TraceId,
        };
    }

    public static Proto.AuditEvent ToProto(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var proto = new Proto.AuditEvent
        {
            Type = ToProto(e.Type),
            Time = Timestamp.FromDateTimeOffset(e.Time),
            ActorOrganId = e.Actor,
            DocumentId = e.DocumentId,
            BusinessDocumentId = e.BusinessDocumentId,
            Outcome = e.Outcome,
            Detail = e.Detail,
            TraceId = e.TraceId,
        };
        proto.CounterpartOrganIds.AddRange(e.Counterparts);
        proto.Digests.AddRange(e.Digests);
        return proto;
    }

    public static Proto.LogEntry ToProto(LogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new Proto.LogEntry { Index = entry.Index, Data = ByteString.CopyFrom(entry.Data), Event = ToProto(entry.Event) };
    }

    public static Proto.StatisticsRow ToProto(string organId, string period, AgencyDayStatistics counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        var row = new Proto.StatisticsRow
        {
            OrganId = organId,
            Period = period,
            Sent = counters.Sent,
            Received = counters.Received,
            Refused = counters.Refused,
            Late = counters.Late,
            Overdue = counters.Overdue,
        };
        row.RefusedByReason.Add(counters.RefusedByReason);
        return row;
    }

    public static string Period(DateOnly day, bool monthly) =>
        day.ToString(monthly ? "yyyy-MM" : "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The Hanoi calendar day of an instant (statistics periods are Vietnamese days).</summary>
    public static DateOnly HanoiDay(Timestamp time, string field)
    {
        if (time is null)
        {
            throw MeshException.Invalid("AUDIT_PERIOD_INVALID", field, "required");
        }

        return DateOnly.FromDateTime(time.ToDateTimeOffset().ToOffset(AuditEvent.StatisticsOffset).DateTime);
    }
}
