using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Storage.Domain;
using ProtoBlobInfo = Mesh.Contracts.Storage.V1.BlobInfo;

namespace Mesh.Storage.Grpc;

internal static class BlobInfoMapper
{
    public static ProtoBlobInfo ToProto(BlobInfo blob) => new()
    {
        Name = blob.Name,
        Sha256 = UnsafeByteOperations.UnsafeWrap(blob.Id.ToArray()),
        Size = blob.Size,
        MediaType = blob.MediaType,
        ChunkCount = blob.ChunkCount,
        CreateTime = Timestamp.FromDateTimeOffset(blob.CreateTime),
        RetainUntil = Timestamp.FromDateTimeOffset(blob.RetainUntil),
    };

    public static BlobInfo FromProto(ProtoBlobInfo blob) => new(
        Sha256Hash.FromBytes(blob.Sha256.Span),
        blob.Size,
        blob.MediaType,
        blob.ChunkCount,
        blob.CreateTime.ToDateTimeOffset(),
        blob.RetainUntil.ToDateTimeOffset());
}
