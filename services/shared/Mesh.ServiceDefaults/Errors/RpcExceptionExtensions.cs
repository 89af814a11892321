using Google.Rpc;
using Grpc.Core;
using Mesh.Errors;

namespace Mesh.ServiceDefaults.Errors;

/// <summary>Reads Mesh error details back from an <see cref="RpcException"/> (clients, tests, service-to-service calls).</summary>
public static class RpcExceptionExtensions
{
    /// <summary>The ErrorInfo reason of a Mesh error, or null.</summary>
    public static string? MeshReason(this RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;
    }

    /// <summary>The ErrorInfo of a Mesh error, or null.</summary>
    public static ErrorInfo? MeshErrorInfo(this RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.GetRpcStatus()?.GetDetail<ErrorInfo>();
    }

    /// <summary>The BadRequest field violations, or an empty list.</summary>
    public static IReadOnlyList<BadRequest.Types.FieldViolation> FieldViolations(this RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.ToList() ?? [];
    }

    /// <summary>
    /// The reverse of the server's error mapping (status code → kind, ErrorInfo reason → reason), so a
    /// service calling a peer sees the same <see cref="MeshException"/> as with the peer in-process.
    /// </summary>
    public static MeshException ToMeshException(this RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var status = exception.GetRpcStatus();
        var reason = status?.GetDetail<ErrorInfo>()?.Reason is { Length: > 0 } r ? r : CanonicalName(exception.StatusCode);
        var kind = exception.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.OutOfRange => ErrorKind.InvalidArgument,
            StatusCode.FailedPrecondition => ErrorKind.FailedPrecondition,
            StatusCode.NotFound => ErrorKind.NotFound,
            StatusCode.AlreadyExists => ErrorKind.AlreadyExists,
            StatusCode.Aborted => ErrorKind.Aborted,
            StatusCode.Unauthenticated => ErrorKind.Unauthenticated,
            StatusCode.PermissionDenied => ErrorKind.PermissionDenied,
            StatusCode.ResourceExhausted => ErrorKind.ResourceExhausted,
            StatusCode.DataLoss => ErrorKind.DataLoss,
            StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled => ErrorKind.Unavailable,
            _ => ErrorKind.Internal,
        };
        var violations = status?.GetDetail<BadRequest>()?.FieldViolations.Select(v => new FieldViolation(v.Field, v.Description)).ToList();
        return new MeshException(kind, reason, status?.Message ?? exception.Status.Detail, violations, exception);
    }

    /// <summary>A status code as gRPC spells it (DEADLINE_EXCEEDED): the reason of an error that carries no ErrorInfo.</summary>
    public static string CanonicalName(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.DataLoss => "DATA_LOSS",
        _ => code.ToString().ToUpperInvariant(),
    };
}
