namespace Mesh.Auditing;

/// <summary>
/// One event for the tamper-evident audit log. Digests only, never document content.
/// </summary>
/// <param name="Type">Event type, one of <see cref="AuditEventTypes"/>.</param>
/// <param name="Time">When it happened.</param>
/// <param name="ActorOrganId">The agency that acted; empty for the hub itself.</param>
public sealed record AuditRecord(string Type, DateTimeOffset Time, string ActorOrganId)
{
    /// <summary>Hub document id, when about a document.</summary>
    public string DocumentId { get; init; } = "";

    /// <summary>Business DocumentId, when known.</summary>
    public string BusinessDocumentId { get; init; } = "";

    /// <summary>Other agencies involved.</summary>
    public IReadOnlyList<string> Counterparts { get; init; } = [];

    /// <summary>SHA-256 digests involved, lower-case hex.</summary>
    public IReadOnlyList<string> Digests { get; init; } = [];

    /// <summary>"OK" or the refusal reason.</summary>
    public string Outcome { get; init; } = "OK";

    /// <summary>Short free detail (≤ 1 KiB).</summary>
    public string Detail { get; init; } = "";

    /// <summary>W3C trace id of the request that caused it.</summary>
    public string TraceId { get; init; } = "";

    /// <summary>
    /// Optional (≤ 200 characters): at most one event is appended per key; recording again with a used key
    /// returns the first event's leaf index and appends nothing (a retry after a crash cannot record a fact twice).
    /// </summary>
    public string IdempotencyKey { get; init; } = "";
}

/// <summary>The event types Mesh records (the audit proto's EventType, as stable strings).</summary>
public static class AuditEventTypes
{
    /// <summary>A document was accepted.</summary>
    public const string DocumentAccepted = "DOCUMENT_ACCEPTED";
    /// <summary>A send was refused.</summary>
    public const string DocumentRefused = "DOCUMENT_REFUSED";
    /// <summary>A delivery was queued.</summary>
    public const string DeliveryCreated = "DELIVERY_CREATED";
    /// <summary>A recipient downloaded a document.</summary>
    public const string DeliveryDownloaded = "DELIVERY_DOWNLOADED";
    /// <summary>A delivery was acknowledged.</summary>
    public const string DeliveryAcknowledged = "DELIVERY_ACKNOWLEDGED";
    /// <summary>A business status was reported.</summary>
    public const string StatusReported = "STATUS_REPORTED";
    /// <summary>A status report was refused.</summary>
    public const string StatusRefused = "STATUS_REFUSED";
    /// <summary>A document was revoked, updated or replaced.</summary>
    public const string DocumentRevoked = "DOCUMENT_REVOKED";
    /// <summary>A deadline flag was raised.</summary>
    public const string DeadlineFlagged = "DEADLINE_FLAGGED";
    /// <summary>The registry changed.</summary>
    public const string RegistryChanged = "REGISTRY_CHANGED";
    /// <summary>A caller could not be authenticated.</summary>
    public const string AuthenticationFailed = "AUTHENTICATION_FAILED";
    /// <summary>A caller was refused an action.</summary>
    public const string AuthorizationFailed = "AUTHORIZATION_FAILED";
}

/// <summary>
/// Where services record audit events. The audit service implements it (in-process in the hub,
/// through gRPC otherwise). Returns the leaf index once the event is integrated in the log.
/// </summary>
public interface IAuditTrail
{
    /// <summary>Records one event and returns its leaf index in the log.</summary>
    ValueTask<long> RecordAsync(AuditRecord record, CancellationToken cancellationToken = default);
}
