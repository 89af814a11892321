using Google.Rpc;
using Grpc.Core;

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
}
