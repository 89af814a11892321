using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Mesh.Errors;

namespace Mesh.Storage.Tests.Support;

/// <summary>
/// MeshException → google.rpc.Status with ErrorInfo, as the ServiceDefaults interceptor does.
/// Stands in for it in these tests until Mesh.ServiceDefaults is merged from main.
/// </summary>
public sealed class MeshExceptionInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (MeshException ex)
        {
            throw ToRpcException(ex);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (MeshException ex)
        {
            throw ToRpcException(ex);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (MeshException ex)
        {
            throw ToRpcException(ex);
        }
    }

    private static RpcException ToRpcException(MeshException exception)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)(exception.Kind switch
            {
                ErrorKind.InvalidArgument => Code.InvalidArgument,
                ErrorKind.FailedPrecondition => Code.FailedPrecondition,
                ErrorKind.NotFound => Code.NotFound,
                ErrorKind.AlreadyExists => Code.AlreadyExists,
                ErrorKind.Aborted => Code.Aborted,
                ErrorKind.Unauthenticated => Code.Unauthenticated,
                ErrorKind.PermissionDenied => Code.PermissionDenied,
                ErrorKind.ResourceExhausted => Code.ResourceExhausted,
                ErrorKind.DataLoss => Code.DataLoss,
                ErrorKind.Unavailable => Code.Unavailable,
                _ => Code.Internal,
            }),
            Message = exception.Message,
            Details = { Any.Pack(new ErrorInfo { Reason = exception.Reason, Domain = "mesh.gov.vn" }) },
        };
        if (exception.Violations.Count > 0)
        {
            var badRequest = new BadRequest();
            badRequest.FieldViolations.AddRange(exception.Violations.Select(v => new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description }));
            status.Details.Add(Any.Pack(badRequest));
        }

        return status.ToRpcException();
    }
}
