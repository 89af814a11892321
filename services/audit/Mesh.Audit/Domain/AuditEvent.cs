using Mesh.Errors;

namespace Mesh.Audit.Domain;

/// <summary>What happened to the subject of an event.</summary>
public enum AuditOutcome : byte
{
    Succeeded = 1,
    Refused = 2,
    Failed = 3,
}

/// <summary>A digest of something the event refers to (never the content itself).</summary>
/// <param name="Algorithm">e.g. "sha-256".</param>
/// <param name="Label">What was hashed, e.g. "manifest" or an attachment name.</param>
/// <param name="Value">The digest bytes.</param>
public sealed record AuditDigest(string Algorithm, string Label, byte[] Value);

/// <summary>
/// One audit event: the leaf of the log is its canonical bytes (<see cref="AuditEventCodec"/>).
/// Digests only, never document content (issue 5).
/// </summary>
public sealed record AuditEvent
{
    public required string Type { get; init; }

    /// <summary>When it happened (UTC, microsecond precision in the canonical form).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>OrganId of the agency that acted (the sender of a send, the recipient of an acknowledgement).</summary>
    public required string Actor { get; init; }

    public string DocumentId { get; init; } = "";

    /// <summary>Other agencies concerned (recipients of a send, the sender of a delivery); ordinal order in the canonical form.</summary>
    public IReadOnlyList<string> Counterparties { get; init; } = [];

    public IReadOnlyList<AuditDigest> Digests { get; init; } = [];

    public AuditOutcome Outcome { get; init; } = AuditOutcome.Succeeded;

    /// <summary>Stable reason of a refusal or failure (e.g. SIGNATURE_INVALID); empty on success.</summary>
    public string Reason { get; init; } = "";

    /// <summary>W3C trace id (32 lowercase hex digits), or empty.</summary>
    public string TraceId { get; init; } = "";

    /// <summary>The UTC day the event counts towards in statistics and the day index.</summary>
    public DateOnly Day => DateOnly.FromDateTime(Time.UtcDateTime);

    /// <summary>Every agency the event concerns: the actor and the counterparties.</summary>
    public IEnumerable<string> Agencies => Counterparties.Prepend(Actor).Distinct(StringComparer.Ordinal);
}

/// <summary>Event type names used across Mesh, and which statistic each one feeds.</summary>
public static class AuditEventTypes
{
    public const string DocumentAccepted = "document.accepted";
    public const string DocumentRefused = "document.refused";
    public const string DocumentDelivered = "document.delivered";
    public const string DocumentAcknowledged = "document.acknowledged";
    public const string DocumentStatus = "document.status";
    public const string DocumentRevoked = "document.revoked";
    public const string DeadlineLate = "deadline.late";
    public const string DeliveryOverdue = "delivery.overdue";
    public const string AgencyChanged = "registry.agency.changed";
    public const string AuthenticationFailed = "security.authentication.failed";
    public const string AuthorizationDenied = "security.authorization.denied";
}

/// <summary>Validation limits of an event, enforced before it is encoded.</summary>
public static class AuditEventRules
{
    /// <summary>C2SP tlog-tiles entry bundles prefix each entry with a big-endian uint16 length.</summary>
    public const int MaxEntryBytes = ushort.MaxValue;

    public const int MaxOrganIdLength = 35;
    public const int MaxTypeLength = 64;
    public const int MaxDocumentIdLength = 255;
    public const int MaxReasonLength = 64;
    public const int MaxDigests = 256;
    public const int MaxDigestBytes = 64;
    public const int MaxCounterparties = 1024;

    public static void Validate(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Require(IsToken(e.Type, MaxTypeLength, c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-'), "event.type", "lowercase letters, digits, '.', '_' or '-', 1 to 64 characters");
        Require(IsOrganId(e.Actor), "event.actor", "an OrganId of 1 to 35 printable characters");
        Require(e.DocumentId.Length <= MaxDocumentIdLength && !e.DocumentId.Any(char.IsControl), "event.document_id", "at most 255 characters, no control characters");
        Require(e.Counterparties.Count <= MaxCounterparties && e.Counterparties.All(IsOrganId), "event.counterparties", "at most 1024 OrganIds");
        Require(e.Digests.Count <= MaxDigests, "event.digests", "at most 256 digests");
        foreach (var d in e.Digests)
        {
            Require(IsToken(d.Algorithm, 32, c => char.IsAsciiLetterOrDigit(c) || c == '-'), "event.digests.algorithm", "e.g. sha-256");
            Require(d.Label.Length <= 255 && !d.Label.Any(char.IsControl), "event.digests.label", "at most 255 characters");
            Require(d.Value.Length is > 0 and <= MaxDigestBytes, "event.digests.value", "1 to 64 bytes: a digest, never content");
        }

        Require(Enum.IsDefined(e.Outcome), "event.outcome", "succeeded, refused or failed");
        Require(e.Outcome == AuditOutcome.Succeeded ? e.Reason.Length == 0 : IsToken(e.Reason, MaxReasonLength, c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_'), "event.reason", "UPPER_SNAKE_CASE when refused or failed, empty on success");
        Require(e.TraceId.Length == 0 || (e.TraceId.Length == 32 && e.TraceId.All(char.IsAsciiHexDigitLower)), "event.trace_id", "32 lowercase hex digits or empty");
        Require(e.Time >= DateTimeOffset.UnixEpoch, "event.time", "not before 1970-01-01");
    }

    public static bool IsOrganId(string value) =>
        value.Length is > 0 and <= MaxOrganIdLength && value.All(c => !char.IsWhiteSpace(c) && !char.IsControl(c) && c != '/');

    private static bool IsToken(string value, int max, Func<char, bool> allowed) =>
        value.Length > 0 && value.Length <= max && value.All(allowed);

    private static void Require(bool condition, string field, string description)
    {
        if (!condition)
        {
            throw MeshException.Invalid("AUDIT_EVENT_INVALID", field, description);
        }
    }
}
