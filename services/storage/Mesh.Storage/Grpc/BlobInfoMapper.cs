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

    public static Contracts.Storage.V1.StagedUpload ToProto(StagedUpload staged) => new()
    {
        StagingKey = staged.Key,
        Size = staged.Size,
        ExpectedSha256 = staged.ExpectedSha256 is { } sha ? UnsafeByteOperations.UnsafeWrap(sha.ToArray()) : ByteString.Empty,
        ExpectedSize = staged.ExpectedSize ?? -1,
        ExpireTime = Timestamp.FromDateTimeOffset(staged.ExpireTime),
    };

    public static StagedUpload FromProto(Contracts.Storage.V1.StagedUpload staged) => new(
        staged.StagingKey,
        staged.Size,
        staged.ExpectedSha256.IsEmpty ? null : Sha256Hash.FromBytes(staged.ExpectedSha256.Span),
        staged.ExpectedSize < 0 ? null : staged.ExpectedSize,
        staged.ExpireTime.ToDateTimeOffset());

    public static BlobInfo FromProto(ProtoBlobInfo blob) => new(
        Sha256Hash.FromBytes(blob.Sha256.Span),
        blob.Size,
        blob.MediaType,
        blob.ChunkCount,
        blob.CreateTime.ToDateTimeOffset(),
        blob.RetainUntil.ToDateTimeOffset());
}
