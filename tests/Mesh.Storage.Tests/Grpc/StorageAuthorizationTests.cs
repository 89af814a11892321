using Grpc.Core;
using Mesh.Contracts.Storage.V1;
using Mesh.Identity;
using Mesh.Storage.Tests.Support;

namespace Mesh.Storage.Tests.Grpc;

/// <summary>Blobs are addressed by digest alone, so only hub services may reach the storage API.</summary>
public sealed class StorageAuthorizationTests
{
    [Fact]
    public async Task StatBlob_AgencyCaller_PermissionDenied()
    {
        var agency = new Caller("000.00.00.H49", new HashSet<CallerRole> { CallerRole.Agency }, "t");
        await using var server = await StorageServer.StartAsync(caller: agency);

        var call = () => server.Client.StatBlobAsync(new StatBlobRequest { Sha256 = Google.Protobuf.ByteString.CopyFrom(new byte[32]) }).ResponseAsync;

        await ((Func<Task>)call).ShouldFailWith(StatusCode.PermissionDenied, "HUB_SERVICE_ONLY");
    }

    [Fact]
    public async Task StatBlob_HubServiceCaller_Answers()
    {
        await using var server = await StorageServer.StartAsync();

        var call = () => server.Client.StatBlobAsync(new StatBlobRequest { Sha256 = Google.Protobuf.ByteString.CopyFrom(new byte[32]) }).ResponseAsync;

        await ((Func<Task>)call).ShouldFailWith(StatusCode.NotFound, "BLOB_NOT_FOUND");
    }
}
