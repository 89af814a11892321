using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Mesh.Errors;
using Microsoft.Extensions.Logging;

namespace Mesh.ServiceDefaults.Errors;

/// <summary>
/// Turns domain failures into <c>google.rpc.Status</c> with an <c>ErrorInfo</c> (stable reason,
/// domain <see cref="ErrorDomain"/>) and, when present, <c>BadRequest</c> field violations and
/// <c>ResourceInfo</c>. Anything unexpected becomes INTERNAL without leaking details.
/// </summary>
public sealed partial class MeshExceptionInterceptor(ILogger<MeshExceptionInterceptor> logger) : Interceptor
{
    /// <summary>The ErrorInfo domain of every Mesh error.</summary>
    public const string ErrorDomain = "mesh.gov.vn";

    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Translate(ex, context);
        }
    }

    /// <inheritdoc />
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Translate(ex, context);
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Translate(ex, context);
        }
    }

    /// <inheritdoc />
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Translate(ex, context);
        }
    }

    private RpcException Translate(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case MeshException mesh:
                LogRefused(logger, context.Method, mesh.Reason, mesh.Message);
                return ToRpcException(mesh);
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "The call was cancelled."));
            default:
                LogUnexpected(logger, ex, context.Method);
                return ToRpcException(new MeshException(ErrorKind.Internal, "INTERNAL", "An internal error occurred; it has been logged."));
        }
    }

    /// <summary>Builds the rich status of a domain failure.</summary>
    public static RpcException ToRpcException(MeshException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var info = new ErrorInfo { Reason = exception.Reason, Domain = ErrorDomain };
        foreach (var (key, value) in exception.Metadata)
        {
            info.Metadata[key] = value;
        }

        var status = new Google.Rpc.Status
        {
            Code = (int)ToCode(exception.Kind),
            Message = exception.Message,
            Details = { Any.Pack(info) },
        };
        if (exception.Violations.Count > 0)
        {
            var badRequest = new BadRequest();
            foreach (var v in exception.Violations)
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description });
            }

            status.Details.Add(Any.Pack(badRequest));
        }

        if (exception.Resource is { } resource)
        {
            status.Details.Add(Any.Pack(new ResourceInfo { ResourceType = resource.Type, ResourceName = resource.Name }));
        }

        return status.ToRpcException();
    }

    /// <summary>The gRPC code of an error kind.</summary>
    public static StatusCode ToCode(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        ErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        ErrorKind.NotFound => StatusCode.NotFound,
        ErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        ErrorKind.Aborted => StatusCode.Aborted,
        ErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        ErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        ErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        ErrorKind.DataLoss => StatusCode.DataLoss,
        ErrorKind.Unavailable => StatusCode.Unavailable,
        _ => StatusCode.Internal,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} refused: {Reason} ({Detail})")]
    private static partial void LogRefused(ILogger logger, string method, string reason, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method);
}
