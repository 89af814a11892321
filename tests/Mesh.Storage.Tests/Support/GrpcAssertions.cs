using Google.Rpc;
using Grpc.Core;
using Mesh.Errors;

namespace Mesh.Storage.Tests.Support;

public static class GrpcAssertions
{
    /// <summary>Asserts the call fails with <paramref name="code"/> and the ErrorInfo <paramref name="reason"/>.</summary>
    public static async Task<RpcException> ShouldFailWith(this Func<Task> call, StatusCode code, string reason)
    {
        var thrown = (await call.Should().ThrowAsync<RpcException>()).Which;
        thrown.StatusCode.Should().Be(code, thrown.Status.Detail);
        var status = thrown.GetRpcStatus();
        status.Should().NotBeNull("every domain error carries a google.rpc.Status");
        status!.GetDetail<ErrorInfo>()?.Reason.Should().Be(reason);
        status.GetDetail<ErrorInfo>().Should().NotBeNull("every domain error carries an ErrorInfo");
        return thrown;
    }

    public static async Task<MeshException> ShouldFailWith(this Func<Task> call, ErrorKind kind, string reason)
    {
        var thrown = (await call.Should().ThrowAsync<MeshException>()).Which;
        thrown.Kind.Should().Be(kind, thrown.Message);
        thrown.Reason.Should().Be(reason);
        return thrown;
    }
}
