using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Mesh.Errors;
using Mesh.State;
using Mesh.Storage.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Storage.Infrastructure;

/// <summary>
/// Content-addressed chunked blobs on <see cref="IStateStore"/>, so that one layout works on
/// every backend (Embedded, Redis, Dapr):
/// <list type="bullet">
/// <item><c>chunk/{sha256 of the chunk}</c>: the chunk's bytes. Identical chunks, in the same or
/// in different blobs, are stored once.</item>
/// <item><c>blob/{sha256 of the content}</c>: the manifest (size, media type, chunk size, chunk
/// list, create time, retain-until), written last and only if absent, so a blob is visible only
/// when all its chunks are stored, and concurrent puts of the same content both succeed.</item>
/// </list>
/// A put that fails (mismatch, cancellation, crash) may leave chunks no manifest refers to. They
/// are harmless: content-addressed, so never wrong for anyone who later refers to them, and
/// invisible to readers, who only reach chunks through a manifest. A put with a staging key
/// records them (ChunkedBlobStore.Staging.cs), so that it can be resumed and its chunks collected.
/// Memory per put or read is two chunk buffers, whatever the blob size.
/// </summary>
public sealed partial class ChunkedBlobStore(
    IStateStore state,
    IOptions<StorageOptions> options,
    TimeProvider timeProvider,
    StorageTelemetry telemetry,
    ILogger<ChunkedBlobStore> logger) : IBlobStorage
{
    // Below this, handing the chunk hash to another core costs more than it saves.
    private const int ParallelHashThreshold = 64 * 1024;

    private const int MaxMediaTypeLength = 255;

    public static string BlobKey(Sha256Hash id) => $"blob/{id.Hex}";

    public static string ChunkKey(Sha256Hash chunk) => $"chunk/{chunk.Hex}";

    public async ValueTask<BlobPutResult> PutAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> content, BlobPutRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value;
        using var activity = StorageTelemetry.ActivitySource.StartActivity("storage.put");
        try
        {
            var mediaType = ValidateMediaType(request.MediaType);
            if (request.ExpectedSize is { } expectedSize && (expectedSize < 0 || expectedSize > settings.MaxBlobSize))
            {
                throw expectedSize < 0
                    ? MeshException.Invalid(StorageReasons.SizeInvalid, "header.expected_size", "must not be negative")
                    : StorageErrors.TooLarge(settings.MaxBlobSize);
            }

            var now = timeProvider.GetUtcNow();
            var retainUntil = Retention.Initial(now, settings.DefaultRetention, request.RetainUntil);
            var progress = request.Staging is { } staging ? await StartStagingAsync(staging, request, settings, cancellationToken).ConfigureAwait(false) : null;

            // Known content only needs hashing (to hold the client to its digest), not writing again.
            var existing = request.ExpectedSha256 is { } expected ? await TryLoadAsync(expected, cancellationToken).ConfigureAwait(false) : null;
            WrittenContent written;
            try
            {
                written = await WriteChunksAsync(content, settings, request.ExpectedSize, writeChunks: existing is null, progress, cancellationToken).ConfigureAwait(false);

                if (request.ExpectedSize is { } size && size != written.Size)
                {
                    throw StorageErrors.SizeMismatch(size, written.Size);
                }

                if (request.ExpectedSha256 is { } digest && digest != written.Id)
                {
                    throw StorageErrors.DigestMismatch(digest, written.Id);
                }

                activity?.SetTag("mesh.blob.id", written.Id.Hex);
                activity?.SetTag("mesh.blob.size", written.Size);
                if (existing is null)
                {
                    var info = new BlobInfo(written.Id, written.Size, mediaType, written.ChunkCount, now, retainUntil);
                    var manifest = new BlobManifest(info, written.ChunkSize, written.ChunkDigests);
                    if (await WriteManifestAsync(written, manifest, progress, cancellationToken).ConfigureAwait(false))
                    {
                        telemetry.BlobsCreated.Add(1);
                        logger.BlobStored(written.Id.Hex, written.Size, written.ChunkCount, mediaType);
                        return new BlobPutResult(info, Created: true);
                    }

                    // Stored meanwhile by a concurrent put of the same content: theirs stands.
                }

                if (progress?.Resumed is not null)
                {
                    await SettleStagingAsync(progress, (await LoadAsync(written.Id, cancellationToken).ConfigureAwait(false)).ChunkDigests, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception failure) when (progress is { Settled: false })
            {
                await StageAsync(progress, request, failure).ConfigureAwait(false);
                throw;
            }

            telemetry.BlobDedupHits.Add(1);
            logger.BlobDeduplicated(written.Id.Hex);
            activity?.SetTag("mesh.blob.deduplicated", true);
            var stored = request.RetainUntil is { } until
                ? await ExtendRetentionAsync(written.Id, until, cancellationToken).ConfigureAwait(false)
                : (await LoadAsync(written.Id, cancellationToken).ConfigureAwait(false)).Info;
            return new BlobPutResult(stored, Created: false);
        }
        catch (MeshException ex) when (ex.Kind is ErrorKind.InvalidArgument or ErrorKind.ResourceExhausted)
        {
            telemetry.PutsRefused.Add(1, new KeyValuePair<string, object?>("reason", ex.Reason));
            logger.PutRefused(ex.Reason, ex.Message);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Reason);
            throw;
        }
    }

    public async ValueTask<BlobRead> OpenReadAsync(Sha256Hash id, long offset = 0, long length = 0, CancellationToken cancellationToken = default)
    {
        var manifest = await LoadAsync(id, cancellationToken).ConfigureAwait(false);
        var range = ChunkLayout.Resolve(manifest.Info.Size, offset, length);
        return new BlobRead(manifest.Info, range, ReadChunksAsync(manifest, range, cancellationToken));
    }

    public async ValueTask<BlobInfo> StatAsync(Sha256Hash id, CancellationToken cancellationToken = default) =>
        (await LoadAsync(id, cancellationToken).ConfigureAwait(false)).Info;

    public ValueTask<BlobInfo> UpdateRetentionAsync(Sha256Hash id, DateTimeOffset retainUntil, CancellationToken cancellationToken = default) =>
        ExtendRetentionAsync(id, retainUntil, cancellationToken);

    public async ValueTask<StagedUpload?> GetStagedAsync(string key, CancellationToken cancellationToken = default)
    {
        var record = await TryLoadStagingAsync(ValidateStagingKey(key), cancellationToken).ConfigureAwait(false);
        return record is { Record.ChunkCount: > 0 } r && r.Record.ExpireTime > timeProvider.GetUtcNow() ? r.Record.ToStagedUpload() : null;
    }

    private static string ValidateMediaType(string? mediaType)
    {
        if (string.IsNullOrEmpty(mediaType))
        {
            return BlobInfo.DefaultMediaType;
        }

        if (mediaType.Length > MaxMediaTypeLength || !mediaType.Contains('/', StringComparison.Ordinal) || mediaType.Any(static c => c is < (char)0x20 or > (char)0x7e))
        {
            throw MeshException.Invalid(StorageReasons.MediaTypeInvalid, "header.media_type", "must be a media type such as application/pdf (printable ASCII, at most 255 characters)");
        }

        return mediaType;
    }

    private async ValueTask<WrittenContent> WriteChunksAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> content, StorageOptions settings, long? expectedSize, bool writeChunks, StagingProgress? progress, CancellationToken cancellationToken)
    {
        var chunkSize = progress?.ChunkSize ?? settings.ChunkSize;
        var maxSize = expectedSize ?? settings.MaxBlobSize;
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var digests = new ArrayBufferWriter<byte>(expectedSize is { } hint ? (int)Math.Min(new ChunkLayout(chunkSize).ChunkCount(hint) * Sha256Hash.ByteLength, 1 << 20) + Sha256Hash.ByteLength : 1024);
        var (total, chunkCount) = progress?.Resumed is { } resumed
            ? await ReadBackStagedAsync(resumed, whole, digests, cancellationToken).ConfigureAwait(false)
            : (0L, 0);

        // A blob declared smaller than one chunk (most documents) needs one buffer of its size: a new blob's
        // array then becomes the stored tail as is; known content only hashes through a small pooled one.
        // Otherwise two pooled chunk buffers: one fills from the caller while the other is being written to
        // the store. Renting whole chunks for small blobs drained the shared pool under concurrent sends, and
        // each miss cost a fresh large-object array.
        var small = progress?.Resumed is null && expectedSize is { } declared && declared < chunkSize ? (int)declared : -1;
        var exact = small >= 0 && writeChunks;
        byte[][] buffers = exact ? [new byte[small]]
            : small >= 0 ? [ArrayPool<byte>.Shared.Rent(Math.Max(small, 1))]
            : [ArrayPool<byte>.Shared.Rent(chunkSize), ArrayPool<byte>.Shared.Rent(chunkSize)];
        var current = 0;
        var filled = 0;
        (Sha256Hash Digest, byte[] Data)? tail = null;
        Task pendingWrite = Task.CompletedTask;
        try
        {
            await foreach (var segment in content.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                total += segment.Length;
                telemetry.BytesIn.Add(segment.Length);
                if (total > maxSize)
                {
                    throw expectedSize is { } size ? StorageErrors.SizeMismatch(size, total) : StorageErrors.TooLarge(settings.MaxBlobSize);
                }

                var remaining = segment;
                while (!remaining.IsEmpty)
                {
                    var take = Math.Min(remaining.Length, chunkSize - filled);
                    remaining[..take].CopyTo(buffers[current].AsMemory(filled));
                    filled += take;
                    remaining = remaining[take..];
                    if (filled == chunkSize)
                    {
                        pendingWrite = await SealChunkAsync(buffers[current].AsMemory(0, filled), whole, digests, pendingWrite, writeChunks, progress, cancellationToken).ConfigureAwait(false);
                        chunkCount++;
                        current ^= 1;
                        filled = 0;
                    }
                }
            }

            if (filled > 0)
            {
                // The last, partial chunk is written with the blob's manifest, in one commit (see WriteManifestAsync).
                var digest = await HashAlongsideAsync(buffers[current].AsMemory(0, filled), whole).ConfigureAwait(false);
                digest.WriteTo(digests.GetSpan(Sha256Hash.ByteLength));
                digests.Advance(Sha256Hash.ByteLength);
                chunkCount++;
                if (writeChunks)
                {
                    tail = (digest, exact && filled == buffers[current].Length ? buffers[current] : buffers[current].AsSpan(0, filled).ToArray());
                }
            }

            await pendingWrite.ConfigureAwait(false);
        }
        finally
        {
            // A failed put may still have a write in flight on a buffer; wait before returning it to the pool.
            try
            {
                await pendingWrite.ConfigureAwait(false);
            }
            catch (Exception) when (!pendingWrite.IsCompletedSuccessfully)
            {
                // Already reported, or superseded by the exception that brought us here.
            }

            if (!exact)
            {
                foreach (var buffer in buffers)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }

        return new WrittenContent(Sha256Hash.FromBytes(whole.GetHashAndReset()), total, chunkCount, chunkSize, digests.WrittenMemory) { Tail = tail };
    }

    /// <summary>Hashes a full chunk, then starts writing it once the previous write is done.</summary>
    /// <returns>The write of this chunk, still in flight.</returns>
    private async ValueTask<Task> SealChunkAsync(
        ReadOnlyMemory<byte> chunk, IncrementalHash whole, ArrayBufferWriter<byte> digests, Task previousWrite, bool writeChunk, StagingProgress? progress, CancellationToken cancellationToken)
    {
        var digest = await HashAlongsideAsync(chunk, whole).ConfigureAwait(false);
        digest.WriteTo(digests.GetSpan(Sha256Hash.ByteLength));
        digests.Advance(Sha256Hash.ByteLength);
        await previousWrite.ConfigureAwait(false);
        return writeChunk ? WriteChunkAsync(digest, chunk, progress, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>
    /// Makes the blob visible: its manifest, with the last partial chunk when there is one, in one
    /// commit (a small attachment costs one durable write, not two). The chunk is content-addressed,
    /// so writing it over an identical stored copy is harmless; the manifest is create-only. A
    /// resumed upload also settles its staging record in that commit.
    /// </summary>
    /// <returns>False when a concurrent put of the same content stored the manifest first.</returns>
    private async ValueTask<bool> WriteManifestAsync(WrittenContent written, BlobManifest manifest, StagingProgress? progress, CancellationToken cancellationToken)
    {
        var encoded = BlobManifestCodec.Encode(manifest);
        try
        {
            if (progress?.Resumed is not null)
            {
                return await WriteResumedManifestAsync(written, encoded, progress, cancellationToken).ConfigureAwait(false);
            }

            if (written.Tail is not { } tail)
            {
                await state.SetAsync(BlobKey(written.Id), encoded, ETag.Absent, cancellationToken).ConfigureAwait(false);
                return true;
            }

            await state.TransactAsync(
                [StateOperation.Upsert(ChunkKey(tail.Digest), tail.Data), StateOperation.Upsert(BlobKey(written.Id), encoded, ETag.Absent)],
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ETagMismatchException e) when (e.Key == BlobKey(written.Id))
        {
            return false;
        }
    }

    /// <summary>
    /// Writes one full chunk. A chunk that is already stored is written again all the same (one
    /// extra write, only for content that repeats chunk by chunk what another blob or upload has):
    /// it gives the chunk a new ETag, and a chunk whose ETag has not changed since an abandoned
    /// staged upload created it is what the collector is allowed to delete (see
    /// ChunkedBlobStore.Staging.cs). A put with staging waits for a write it started even when
    /// cancelled, so that what it stages is exactly what is durable.
    /// </summary>
    private async Task WriteChunkAsync(Sha256Hash digest, ReadOnlyMemory<byte> chunk, StagingProgress? progress, CancellationToken cancellationToken)
    {
        var token = progress is null ? cancellationToken : CancellationToken.None;
        string? created = null;
        try
        {
            created = await state.SetAsync(ChunkKey(digest), chunk, ETag.Absent, token).ConfigureAwait(false);
        }
        catch (ETagMismatchException)
        {
            telemetry.ChunkDedupHits.Add(1);
            await state.SetAsync(ChunkKey(digest), chunk, expectedETag: null, token).ConfigureAwait(false);
        }

        progress?.Stored(digest, created);
    }

    /// <summary>
    /// The chunk's own digest, computed on another core while this one feeds the whole-content
    /// hash: the two SHA-256 passes are the CPU cost of a put or a full read.
    /// </summary>
    private static async ValueTask<Sha256Hash> HashAlongsideAsync(ReadOnlyMemory<byte> chunk, IncrementalHash? whole)
    {
        if (whole is null || chunk.Length < ParallelHashThreshold)
        {
            whole?.AppendData(chunk.Span);
            return Sha256Hash.Of(chunk.Span);
        }

        var chunkHash = Task.Run(() => Sha256Hash.Of(chunk.Span));
        whole.AppendData(chunk.Span);
        return await chunkHash.ConfigureAwait(false);
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync(BlobManifest manifest, ByteRange range, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var activity = StorageTelemetry.ActivitySource.StartActivity("storage.get");
        activity?.SetTag("mesh.blob.id", manifest.Info.Id.Hex);
        activity?.SetTag("mesh.blob.offset", range.Offset);
        activity?.SetTag("mesh.blob.length", range.Length);
        var id = manifest.Info.Id;
        var layout = manifest.Layout;

        // A whole read also re-checks the blob digest: it catches a manifest whose chunk list was
        // altered to name other intact chunks, which the per-chunk checks cannot see.
        using var whole = range.Offset == 0 && range.Length == manifest.Info.Size ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        if (range.Length > 0)
        {
            var first = layout.ChunkAt(range.Offset);
            var last = layout.ChunkAt(range.End - 1);
            var next = FetchChunkAsync(manifest, first, cancellationToken);
            try
            {
                for (var index = first; index <= last; index++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var value = await next.ConfigureAwait(false);
                    next = index < last ? FetchChunkAsync(manifest, index + 1, cancellationToken) : Task.FromResult(ReadOnlyMemory<byte>.Empty);

                    // Nothing of a chunk is handed out before the whole chunk matches its digest.
                    if (value.Length != layout.LengthOf(manifest.Info.Size, index))
                    {
                        throw Corrupted(id, $"chunk {index} has {value.Length} bytes, not {layout.LengthOf(manifest.Info.Size, index)}");
                    }

                    var digest = await HashAlongsideAsync(value, whole).ConfigureAwait(false);
                    if (digest != manifest.Chunk(index))
                    {
                        throw Corrupted(id, $"chunk {index} does not match its digest");
                    }

                    var chunkStart = layout.StartOf(index);
                    var from = (int)Math.Max(0, range.Offset - chunkStart);
                    var to = (int)Math.Min(value.Length, range.End - chunkStart);
                    telemetry.BytesOut.Add(to - from);
                    yield return value[from..to];
                }
            }
            finally
            {
                // Abandoned early (error or the consumer stopped): let the prefetch settle.
                await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        if (whole is not null && Sha256Hash.FromBytes(whole.GetHashAndReset()) != id)
        {
            throw Corrupted(id, "the content does not match the blob digest");
        }
    }

    private async Task<ReadOnlyMemory<byte>> FetchChunkAsync(BlobManifest manifest, int index, CancellationToken cancellationToken)
    {
        StateItem? item;
        try
        {
            item = await state.GetAsync(ChunkKey(manifest.Chunk(index)), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException exception)
        {
            // The backend's own checksum caught it first (the embedded backend's value segments).
            throw Corrupted(manifest.Info.Id, $"chunk {index} is unreadable: {exception.Message}");
        }

        return item?.Value ?? throw Corrupted(manifest.Info.Id, $"chunk {index} is missing");
    }

    private MeshException Corrupted(Sha256Hash id, string detail)
    {
        telemetry.CorruptionDetected.Add(1);
        logger.BlobCorrupted(id.Hex, detail);
        Activity.Current?.SetStatus(ActivityStatusCode.Error, StorageReasons.BlobCorrupted);
        return StorageErrors.Corrupted(id, detail);
    }

    private async ValueTask<BlobInfo> ExtendRetentionAsync(Sha256Hash id, DateTimeOffset retainUntil, CancellationToken cancellationToken)
    {
        while (true)
        {
            var item = await state.GetAsync(BlobKey(id), cancellationToken).ConfigureAwait(false) ?? throw StorageErrors.NotFound(id);
            var manifest = Decode(id, item);
            var extended = Retention.Extend(manifest.Info.RetainUntil, retainUntil);
            if (extended == manifest.Info.RetainUntil)
            {
                return manifest.Info;
            }

            var updated = manifest.WithRetention(extended);
            try
            {
                await state.SetAsync(item.Key, BlobManifestCodec.Encode(updated), item.ETag, cancellationToken).ConfigureAwait(false);
                logger.RetentionExtended(id.Hex, extended);
                return updated.Info;
            }
            catch (ETagMismatchException)
            {
                // Another extension won the race; re-read and extend on top of it.
            }
        }
    }

    private async ValueTask<BlobManifest?> TryLoadAsync(Sha256Hash id, CancellationToken cancellationToken)
    {
        var item = await state.GetAsync(BlobKey(id), cancellationToken).ConfigureAwait(false);
        return item is null ? null : Decode(id, item);
    }

    private async ValueTask<BlobManifest> LoadAsync(Sha256Hash id, CancellationToken cancellationToken) =>
        await TryLoadAsync(id, cancellationToken).ConfigureAwait(false) ?? throw StorageErrors.NotFound(id);

    private BlobManifest Decode(Sha256Hash id, StateItem item) =>
        BlobManifestCodec.Decode(id, item.Value) ?? throw Corrupted(id, "its manifest is unreadable or inconsistent");

    private sealed record WrittenContent(Sha256Hash Id, long Size, int ChunkCount, int ChunkSize, ReadOnlyMemory<byte> ChunkDigests)
    {
        /// <summary>The last, partial chunk, not written yet: it goes with the manifest.</summary>
        public (Sha256Hash Digest, byte[] Data)? Tail { get; init; }
    }
}
