using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Mesh.ServiceDefaults.Peers;

/// <summary>
/// Gives every unary call to a peer a deadline unless the caller set one, so a peer that accepts a call
/// and never answers costs the caller <see cref="PeerOptions.CallTimeout"/> and a DEADLINE_EXCEEDED
/// (mapped to UNAVAILABLE, which callers retry) instead of a wait without end. Streams are left alone:
/// a watch or a large download legitimately lasts longer than any fixed deadline.
/// </summary>
public sealed class UnaryDeadlineInterceptor(TimeSpan timeout) : Interceptor
{
    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithDeadline(context));

    /// <inheritdoc />
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithDeadline(context));

    private ClientInterceptorContext<TRequest, TResponse> WithDeadline<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class =>
        context.Options.Deadline is not null || timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan
            ? context
            : new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithDeadline(DateTime.UtcNow + timeout));
}
