namespace Mesh.Errors;

/// <summary>
/// The kind of a domain failure, which the gRPC layer maps onto a status code
/// (InvalidArgument → INVALID_ARGUMENT, Aborted → ABORTED, …).
/// </summary>
public enum ErrorKind
{
    /// <summary>A request field is malformed or out of range.</summary>
    InvalidArgument,
    /// <summary>The request is well formed but the system is not in a state that allows it.</summary>
    FailedPrecondition,
    /// <summary>The resource does not exist.</summary>
    NotFound,
    /// <summary>The resource already exists.</summary>
    AlreadyExists,
    /// <summary>Optimistic concurrency failed (stale ETag); read again and retry.</summary>
    Aborted,
    /// <summary>The caller is not identified.</summary>
    Unauthenticated,
    /// <summary>The caller may not do this.</summary>
    PermissionDenied,
    /// <summary>A limit was exceeded.</summary>
    ResourceExhausted,
    /// <summary>Stored data is corrupt.</summary>
    DataLoss,
    /// <summary>A dependency is temporarily unavailable; retry.</summary>
    Unavailable,
    /// <summary>An invariant was broken inside Mesh.</summary>
    Internal,
}

/// <summary>A violation of one request field.</summary>
/// <param name="Field">Path of the field, e.g. "agency.organ_id".</param>
/// <param name="Description">What is wrong with it.</param>
public sealed record FieldViolation(string Field, string Description);

/// <summary>
/// A domain failure with a stable, machine-readable <see cref="Reason"/> (UPPER_SNAKE_CASE, e.g.
/// RECIPIENT_UNKNOWN). Adapters branch on the reason, never on the message. The gRPC layer turns
/// it into a google.rpc.Status with an ErrorInfo (domain "mesh.gov.vn") and, when present,
/// BadRequest field violations and ResourceInfo.
/// </summary>
public class MeshException : Exception
{
    /// <summary>Creates a failure.</summary>
    public MeshException(ErrorKind kind, string reason, string message, IReadOnlyList<FieldViolation>? violations = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Reason = reason;
        Violations = violations ?? [];
    }

    /// <summary>The failure kind (maps to the gRPC code).</summary>
    public ErrorKind Kind { get; }

    /// <summary>Stable machine-readable reason.</summary>
    public string Reason { get; }

    /// <summary>Field violations, for INVALID_ARGUMENT.</summary>
    public IReadOnlyList<FieldViolation> Violations { get; }

    /// <summary>Extra key/value metadata for the ErrorInfo.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The resource concerned, for ResourceInfo (type, name).</summary>
    public (string Type, string Name)? Resource { get; init; }

    /// <summary>A malformed field.</summary>
    public static MeshException Invalid(string reason, string field, string description) =>
        new(ErrorKind.InvalidArgument, reason, $"{field}: {description}", [new FieldViolation(field, description)]);

    /// <summary>A resource that does not exist.</summary>
    public static MeshException NotFound(string reason, string type, string name) =>
        new(ErrorKind.NotFound, reason, $"{type} '{name}' was not found.") { Resource = (type, name) };

    /// <summary>A resource that already exists.</summary>
    public static MeshException AlreadyExists(string reason, string type, string name) =>
        new(ErrorKind.AlreadyExists, reason, $"{type} '{name}' already exists.") { Resource = (type, name) };

    /// <summary>An act the system state does not allow.</summary>
    public static MeshException Precondition(string reason, string message) => new(ErrorKind.FailedPrecondition, reason, message);

    /// <summary>An act the caller may not do.</summary>
    public static MeshException Denied(string reason, string message) => new(ErrorKind.PermissionDenied, reason, message);

    /// <summary>No usable caller identity.</summary>
    public static MeshException Unauthenticated(string reason, string message) => new(ErrorKind.Unauthenticated, reason, message);
}
