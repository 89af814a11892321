using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Contracts.Storage.V1;

namespace Mesh.Storage.Tests.Support;

public static class StorageClientExtensions
{
    public static PutBlobHeader HeaderFor(byte[] content, string mediaType = "application/pdf") => new()
    {
        ExpectedSha256 = ByteString.CopyFrom(SHA256.HashData(content)),
        ExpectedSize = content.Length,
        MediaType = mediaType,
    };

    public static async Task<PutBlobResponse> PutAsync(this StorageService.StorageServiceClient client, byte[] content, PutBlobHeader? header = null, int messageSize = TestData.MiB)
    {
        using var call = client.PutBlob();
        await call.RequestStream.WriteAsync(new PutBlobRequest { Header = header ?? new PutBlobHeader { MediaType = "application/octet-stream" } });
        for (var offset = 0; offset < content.Length; offset += messageSize)
        {
            var data = ByteString.CopyFrom(content, offset, Math.Min(messageSize, content.Length - offset));
            await call.RequestStream.WriteAsync(new PutBlobRequest { Data = data });
        }

        await call.RequestStream.CompleteAsync();
        return await call;
    }

    public static ByteString Sha256Of(byte[] content) => ByteString.CopyFrom(SHA256.HashData(content));

    public static async Task<(List<GetBlobResponse> Messages, byte[] Data)> GetAsync(this StorageService.StorageServiceClient client, ByteString sha256, long offset = 0, long length = 0)
    {
        var (messages, data, failure) = await client.ReadUntilFailureAsync(sha256, offset, length);
        if (failure is not null)
        {
            throw failure;
        }

        return (messages, data);
    }

    /// <summary>Reads a blob, keeping every byte received before the call fails.</summary>
    public static async Task<(List<GetBlobResponse> Messages, byte[] Data, RpcException? Failure)> ReadUntilFailureAsync(
        this StorageService.StorageServiceClient client, ByteString sha256, long offset = 0, long length = 0)
    {
        var messages = new List<GetBlobResponse>();
        using var data = new MemoryStream();
        using var call = client.GetBlob(new GetBlobRequest { Sha256 = sha256, Offset = offset, Length = length });
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                messages.Add(call.ResponseStream.Current);
                call.ResponseStream.Current.Data.WriteTo(data);
            }
        }
        catch (RpcException ex)
        {
            return (messages, data.ToArray(), ex);
        }

        return (messages, data.ToArray(), null);
    }
}
