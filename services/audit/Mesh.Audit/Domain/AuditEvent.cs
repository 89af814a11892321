using Mesh.Auditing;
using Mesh.Errors;

namespace Mesh.Audit.Domain;

/// <summary>
/// One audit event (the fields of <see cref="AuditRecord"/> and of the proto's AuditEvent): the
/// leaf of the log is its canonical bytes (<see cref="AuditEventCodec"/>). Digests only, never
/// document content (issue 5).
/// </summary>
public sealed record AuditEvent
{
    /// <summary>Vietnam has kept UTC+7 without daylight saving since 1975; statistics days are Hanoi days.</summary>
    public static readonly TimeSpan StatisticsOffset = TimeSpan.FromHours(7);

    public const string OutcomeOk = "OK";

    /// <summary>One of <see cref="AuditEventTypes"/> (UPPER_SNAKE_CASE, so new types need no new code here).</summary>
    public required string Type { get; init; }

    /// <summary>When it happened (microsecond precision in the canonical form).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>OrganId of the agency that acted; empty for the hub itself.</summary>
    public string Actor { get; init; } = "";

    /// <summary>Hub document id, when the event is about a document.</summary>
    public string DocumentId { get; init; } = "";

    /// <summary>Business DocumentId (issuer,yyyy/MM/dd,number/notation), when known.</summary>
    public string BusinessDocumentId { get; init; } = "";

    /// <summary>Other agencies involved (recipients, the agency a status is reported to); ordinal order in the canonical form.</summary>
    public IReadOnlyList<string> Counterparts { get; init; } = [];

    /// <summary>SHA-256 digests involved (manifest, attachments), lower-case hex; order kept.</summary>
    public IReadOnlyList<string> Digests { get; init; } = [];

    /// <summary>"OK" or the stable refusal reason (e.g. SIGNATURE_INVALID).</summary>
    public string Outcome { get; init; } = OutcomeOk;

    /// <summary>Short free detail (status code, acknowledgement outcome, flag kind), at most 1 KiB.</summary>
    public string Detail { get; init; } = "";

    /// <summary>W3C trace id (32 lowercase hex digits), or empty.</summary>
    public string TraceId { get; init; } = "";

    /// <summary>The Hanoi calendar day the event counts towards in statistics and the day index.</summary>
    public DateOnly Day => DateOnly.FromDateTime(Time.ToOffset(StatisticsOffset).DateTime);

    /// <summary>Every agency the event concerns: the actor (unless the hub) and the counterparts.</summary>
    public IEnumerable<string> Agencies =>
        (Actor.Length == 0 ? Counterparts : Counterparts.Prepend(Actor)).Distinct(StringComparer.Ordinal);

    public static AuditEvent FromRecord(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new AuditEvent
        {
            Type = record.Type,
            Time = record.Time,
            Actor = record.ActorOrganId,
            DocumentId = record.DocumentId,
            BusinessDocumentId = record.BusinessDocumentId,
            Counterparts = record.Counterparts,
            Digests = record.Digests,
            Outcome = record.Outcome.Length == 0 ? OutcomeOk : record.Outcome,
            Detail = record.Detail,
            TraceId = record.TraceId,
        };
    }

    public AuditRecord ToRecord() => new(Type, Time, Actor)
    {
        DocumentId = DocumentId,
        BusinessDocumentId = BusinessDocumentId,
        Counterparts = Counterparts,
        Digests = Digests,
        Outcome = Outcome,
        Detail = Detail,
        TraceId = TraceId,
    };
}

/// <summary>Validation limits of an event, enforced before it is encoded.</summary>
public static class AuditEventRules
{
    /// <summary>C2SP tlog-tiles entry bundles prefix each entry with a big-endian uint16 length.</summary>
    public const int MaxEntryBytes = ushort.MaxValue;

    public const int MaxOrganIdLength = 35;
    public const int MaxTypeLength = 64;
    public const int MaxDocumentIdLength = 255;
    public const int MaxOutcomeLength = 64;
    public const int MaxDetailBytes = 1024;
    public const int MaxDigests = 256;
    public const int MaxCounterparts = 1024;

    public static void Validate(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Require(IsUpperSnake(e.Type, MaxTypeLength), "event.type", "UPPER_SNAKE_CASE, 1 to 64 characters");
        Require(e.Actor.Length == 0 || IsOrganId(e.Actor), "event.actor_organ_id", "empty (the hub) or an OrganId of 1 to 35 printable characters");
        Require(IsText(e.DocumentId, MaxDocumentIdLength), "event.document_id", "at most 255 characters, no control characters");
        Require(IsText(e.BusinessDocumentId, MaxDocumentIdLength), "event.business_document_id", "at most 255 characters, no control characters");
        Require(e.Counterparts.Count <= MaxCounterparts && e.Counterparts.All(IsOrganId), "event.counterpart_organ_ids", "at most 1024 OrganIds");
        Require(e.Digests.Count <= MaxDigests && e.Digests.All(d => d.Length == 64 && d.All(char.IsAsciiHexDigitLower)), "event.digests", "at most 256 SHA-256 digests in lower-case hex: digests, never content");
        Require(e.Outcome == AuditEvent.OutcomeOk || IsUpperSnake(e.Outcome, MaxOutcomeLength), "event.outcome", "\"OK\" or an UPPER_SNAKE_CASE reason");
        Require(System.Text.Encoding.UTF8.GetByteCount(e.Detail) <= MaxDetailBytes && !e.Detail.Any(char.IsControl), "event.detail", "at most 1 KiB, no control characters");
        Require(e.TraceId.Length == 0 || (e.TraceId.Length == 32 && e.TraceId.All(char.IsAsciiHexDigitLower)), "event.trace_id", "32 lowercase hex digits or empty");
        Require(e.Time >= DateTimeOffset.UnixEpoch, "event.time", "not before 1970-01-01");
    }

    public static bool IsOrganId(string value) =>
        value.Length is > 0 and <= MaxOrganIdLength && value.All(c => !char.IsWhiteSpace(c) && !char.IsControl(c) && c != '/');

    private static bool IsUpperSnake(string value, int max) =>
        value.Length > 0 && value.Length <= max && value.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_');

    private static bool IsText(string value, int max) => value.Length <= max && !value.Any(char.IsControl);

    private static void Require(bool condition, string field, string description)
    {
        if (!condition)
        {
            throw MeshException.Invalid("AUDIT_EVENT_INVALID", field, description);
        }
    }
}
