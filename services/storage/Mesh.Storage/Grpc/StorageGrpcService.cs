using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Contracts.Storage.V1;
using Mesh.Errors;
using Mesh.Storage.Domain;
using static Mesh.Storage.Grpc.BlobInfoMapper;
using BlobInfo = Mesh.Storage.Domain.BlobInfo;

namespace Mesh.Storage.Grpc;

/// <summary>The StorageService API: validates, maps proto ↔ domain and streams; the rules live in <see cref="IBlobStorage"/>.</summary>
/// <remarks>
/// Internal to the hub: only callers with the HUB_SERVICE role (routing) may use it, since a
/// blob is addressed by its digest alone and carries no notion of who may read it.
/// </remarks>
public sealed class StorageGrpcService(IBlobStorage storage, Mesh.ServiceDefaults.Identity.CallerAccessor callers) : StorageService.StorageServiceBase
{
    /// <summary>The contract's limit on the data of one message, both directions.</summary>
    public const int MaxDataPerMessage = 1024 * 1024;

    public override async Task<PutBlobResponse> PutBlob(IAsyncStreamReader<PutBlobRequest> requestStream, ServerCallContext context)
    {
        await callers.RequireHubServiceAsync(context).ConfigureAwait(false);
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) || requestStream.Current.PartCase != PutBlobRequest.PartOneofCase.Header)
        {
            throw MeshException.Invalid(StorageReasons.HeaderRequired, "header", "the first message must carry the header");
        }

        var header = requestStream.Current.Header;
        var request = new BlobPutRequest(header.MediaType)
        {
            ExpectedSha256 = header.ExpectedSha256.IsEmpty ? null : ParseSha256(header.ExpectedSha256, "header.expected_sha256"),
            ExpectedSize = header.ExpectedSize switch
            {
                > 0 => header.ExpectedSize,
                0 or -1 => null,
                _ => throw MeshException.Invalid(StorageReasons.SizeInvalid, "header.expected_size", "must be positive, or 0 / -1 when unknown"),
            },
            RetainUntil = header.RetainUntil?.ToDateTimeOffset(),
            Staging = header.StagingKey.Length == 0 ? null : new BlobStaging(header.StagingKey, header.StagingTtl?.ToTimeSpan() ?? TimeSpan.Zero) { ResumeFrom = header.ResumeFrom },
        };

        var result = await storage.PutAsync(ReadDataAsync(requestStream, cancellationToken), request, cancellationToken).ConfigureAwait(false);
        return new PutBlobResponse { Blob = ToProto(result.Blob), Created = result.Created };
    }

    public override async Task GetBlob(GetBlobRequest request, IServerStreamWriter<GetBlobResponse> responseStream, ServerCallContext context)
    {
        await callers.RequireHubServiceAsync(context).ConfigureAwait(false);
        var cancellationToken = context.CancellationToken;
        var id = ParseSha256(request.Sha256, "sha256");
        await using var read = await storage.OpenReadAsync(id, request.Offset, request.Length, cancellationToken).ConfigureAwait(false);
        var offset = read.Range.Offset;
        var first = true;
        await foreach (var segment in read.Content.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            for (var piece = 0; piece < segment.Length; piece += MaxDataPerMessage)
            {
                var data = segment.Slice(piece, Math.Min(MaxDataPerMessage, segment.Length - piece));

                // Wrapping without a copy is safe: the message is serialized before WriteAsync completes.
                var message = new GetBlobResponse { Data = UnsafeByteOperations.UnsafeWrap(data), Offset = offset };
                if (first)
                {
                    message.Blob = ToProto(read.Blob);
                    first = false;
                }

                await responseStream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                offset += data.Length;
            }
        }

        if (first)
        {
            await responseStream.WriteAsync(new GetBlobResponse { Blob = ToProto(read.Blob), Offset = offset }, cancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task<StatBlobResponse> StatBlob(StatBlobRequest request, ServerCallContext context)
    {
        await callers.RequireHubServiceAsync(context).ConfigureAwait(false);
        var blob = await storage.StatAsync(ParseSha256(request.Sha256, "sha256"), context.CancellationToken).ConfigureAwait(false);
        return new StatBlobResponse { Blob = ToProto(blob) };
    }

    public override async Task<UpdateRetentionResponse> UpdateRetention(UpdateRetentionRequest request, ServerCallContext context)
    {
        await callers.RequireHubServiceAsync(context).ConfigureAwait(false);
        var id = ParseSha256(request.Sha256, "sha256");
        var retainUntil = request.RetainUntil?.ToDateTimeOffset()
            ?? throw MeshException.Invalid(StorageReasons.RetainUntilRequired, "retain_until", "is required");
        var blob = await storage.UpdateRetentionAsync(id, retainUntil, context.CancellationToken).ConfigureAwait(false);
        return new UpdateRetentionResponse { Blob = ToProto(blob) };
    }

    public override async Task<GetStagedUploadResponse> GetStagedUpload(GetStagedUploadRequest request, ServerCallContext context)
    {
        await callers.RequireHubServiceAsync(context).ConfigureAwait(false);
        var staged = await storage.GetStagedAsync(request.StagingKey, context.CancellationToken).ConfigureAwait(false)
            ?? throw MeshException.NotFound(StorageReasons.StagedUploadNotFound, "staged upload", request.StagingKey);
        return new GetStagedUploadResponse { StagedUpload = ToProto(staged) };
    }

    private static Sha256Hash ParseSha256(ByteString value, string field) =>
        Sha256Hash.TryFromBytes(value.Span, out var hash)
            ? hash
            : throw MeshException.Invalid(StorageReasons.Sha256Invalid, field, $"must be a SHA-256 digest of {Sha256Hash.ByteLength} bytes, not {value.Length}");

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadDataAsync(IAsyncStreamReader<PutBlobRequest> requestStream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await requestStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var message = requestStream.Current;
            if (message.PartCase != PutBlobRequest.PartOneofCase.Data)
            {
                throw MeshException.Invalid(StorageReasons.HeaderDuplicated, "header", "only the first message may carry the header");
            }

            if (message.Data.Length > MaxDataPerMessage)
            {
                throw MeshException.Invalid(StorageReasons.DataTooLarge, "data", $"at most {MaxDataPerMessage} bytes per message");
            }

            yield return message.Data.Memory;
        }
    }
}
