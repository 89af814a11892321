using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Mesh.Contracts.Storage.V1;
using Mesh.Errors;
using Mesh.ServiceDefaults.Errors;
using Mesh.Storage.Domain;
using Mesh.Storage.Grpc;
using BlobInfo = Mesh.Storage.Domain.BlobInfo;
using StagedUpload = Mesh.Storage.Domain.StagedUpload;

namespace Mesh.Storage.Infrastructure;

/// <summary>
/// <see cref="IBlobStorage"/> over a remote StorageService, for deployments where storage runs
/// in its own process. Failures come back as the same <see cref="MeshException"/> reasons the
/// in-process store throws, so callers do not care which one they have.
/// </summary>
public sealed class GrpcBlobStorage(StorageService.StorageServiceClient client) : IBlobStorage
{
    public async ValueTask<BlobPutResult> PutAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> content, BlobPutRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            using var call = client.PutBlob(cancellationToken: cancellationToken);
            var header = new PutBlobHeader
            {
                MediaType = request.MediaType ?? string.Empty,
                ExpectedSize = request.ExpectedSize ?? -1,
                RetainUntil = request.RetainUntil is { } until ? Timestamp.FromDateTimeOffset(until) : null,
            };
            if (request.Staging is { } staging)
            {
                header.StagingKey = staging.Key;
                header.StagingTtl = Duration.FromTimeSpan(staging.Ttl);
                header.ResumeFrom = staging.ResumeFrom;
            }

            if (request.ExpectedSha256 is { } expected)
            {
                header.ExpectedSha256 = UnsafeByteOperations.UnsafeWrap(expected.ToArray());
            }

            try
            {
                await call.RequestStream.WriteAsync(new PutBlobRequest { Header = header }, cancellationToken).ConfigureAwait(false);
                await foreach (var segment in content.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    for (var piece = 0; piece < segment.Length; piece += StorageGrpcService.MaxDataPerMessage)
                    {
                        // No copy: WriteAsync has serialized the message when it completes, before the caller may reuse the segment.
                        var data = segment.Slice(piece, Math.Min(StorageGrpcService.MaxDataPerMessage, segment.Length - piece));
                        await call.RequestStream.WriteAsync(new PutBlobRequest { Data = UnsafeByteOperations.UnsafeWrap(data) }, cancellationToken).ConfigureAwait(false);
                    }
                }

                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (RpcException) when (!cancellationToken.IsCancellationRequested)
            {
                // The server refused early (bad header, mismatch, too large) and reset the stream under our
                // writes; the refusal with its reason is in the response status, awaited below.
            }

            var response = await call.ResponseAsync.ConfigureAwait(false);
            return new BlobPutResult(BlobInfoMapper.FromProto(response.Blob), response.Created);
        }
        catch (RpcException ex)
        {
            throw ex.ToMeshException();
        }
    }

    public async ValueTask<BlobRead> OpenReadAsync(Sha256Hash id, long offset = 0, long length = 0, CancellationToken cancellationToken = default)
    {
        var call = client.GetBlob(new GetBlobRequest { Sha256 = UnsafeByteOperations.UnsafeWrap(id.ToArray()), Offset = offset, Length = length }, cancellationToken: cancellationToken);
        try
        {
            // The first message carries the metadata, so "not found" and bad ranges surface here.
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                throw new MeshException(ErrorKind.Internal, "STORAGE_PROTOCOL", "GetBlob ended without a message.");
            }

            var first = call.ResponseStream.Current;
            var blob = BlobInfoMapper.FromProto(first.Blob);
            var range = ChunkLayout.Resolve(blob.Size, offset, length);
            return new BlobRead(blob, range, ReadAsync(call, first.Data.Memory, cancellationToken), () =>
            {
                call.Dispose();
                return ValueTask.CompletedTask;
            });
        }
        catch (RpcException ex)
        {
            call.Dispose();
            throw ex.ToMeshException();
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    public async ValueTask<BlobInfo> StatAsync(Sha256Hash id, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await client.StatBlobAsync(new StatBlobRequest { Sha256 = UnsafeByteOperations.UnsafeWrap(id.ToArray()) }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return BlobInfoMapper.FromProto(response.Blob);
        }
        catch (RpcException ex)
        {
            throw ex.ToMeshException();
        }
    }

    public async ValueTask<BlobInfo> UpdateRetentionAsync(Sha256Hash id, DateTimeOffset retainUntil, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await client.UpdateRetentionAsync(
                new UpdateRetentionRequest { Sha256 = UnsafeByteOperations.UnsafeWrap(id.ToArray()), RetainUntil = Timestamp.FromDateTimeOffset(retainUntil) },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return BlobInfoMapper.FromProto(response.Blob);
        }
        catch (RpcException ex)
        {
            throw ex.ToMeshException();
        }
    }

    public async ValueTask<StagedUpload?> GetStagedAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await client.GetStagedUploadAsync(new GetStagedUploadRequest { StagingKey = key }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return BlobInfoMapper.FromProto(response.StagedUpload);
        }
        catch (RpcException ex)
        {
            var error = ex.ToMeshException();
            return error.Reason == StorageReasons.StagedUploadNotFound ? null : throw error;
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(
        AsyncServerStreamingCall<GetBlobResponse> call, ReadOnlyMemory<byte> firstData, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (call)
        {
            if (!firstData.IsEmpty)
            {
                yield return firstData;
            }

            while (true)
            {
                try
                {
                    if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (RpcException ex)
                {
                    throw ex.ToMeshException();
                }

                yield return call.ResponseStream.Current.Data.Memory;
            }
        }
    }
}
