using System.Buffers;
using System.Security.Cryptography;
using Mesh.Errors;
using Mesh.State;
using Mesh.Storage.Domain;
using Microsoft.Extensions.Logging;

namespace Mesh.Storage.Infrastructure;

/// <summary>
/// Staged uploads: a put given a <see cref="BlobStaging"/> that does not complete records, under
/// <c>staged/{key}</c>, the prefix of the content it stored durably (whole chunks) and the chunks
/// it created. The caller resumes at the staged offset; past the staging time the collector
/// (<see cref="StagedUploadCollector"/>) deletes the chunks the upload created.
/// <para>
/// Why deleting them is safe without looking at any blob manifest: a staged upload owns a chunk
/// only if it created it (the create-only write succeeded, so no blob referred to it before),
/// and it records the ETag that creation gave it. Every put that will refer to a chunk writes it
/// (a chunk already stored is written again, <see cref="WriteChunkAsync"/>; the last one goes
/// with the manifest), which changes its ETag; a resumed put, which refers to staged chunks
/// without writing them, removes them from the record in the commit that writes its manifest.
/// The collector deletes a chunk only under the recorded ETag (ETags are never reused, even
/// after a delete: a port guarantee the conformance suite checks), so a chunk that any blob has
/// come to refer to is never deleted, whenever that blob was stored.
/// </para>
/// <para>
/// Why the whole-content SHA-256 of a resumed upload is recomputed by reading the staged prefix
/// back rather than kept: a SHA-256 state cannot be exported from .NET's hash implementations, and
/// re-reading is bounded (one chunk in memory at a time), local, and re-checks each staged chunk
/// against its digest, so a resumed blob is held to the same digest as one sent in one go.
/// </para>
/// </summary>
public sealed partial class ChunkedBlobStore
{
    public static string StagedKey(string key) => $"staged/{key}";

    private static string ValidateStagingKey(string? key) =>
        BlobStaging.IsValidKey(key)
            ? key!
            : throw MeshException.Invalid(StorageReasons.StagingKeyInvalid, "staging_key", $"must be 1 to {BlobStaging.MaxKeyLength} printable ASCII characters without spaces");

    private async ValueTask<StagingProgress> StartStagingAsync(BlobStaging staging, BlobPutRequest request, StorageOptions settings, CancellationToken cancellationToken)
    {
        ValidateStagingKey(staging.Key);
        if (staging.Ttl <= TimeSpan.Zero || staging.ResumeFrom < 0)
        {
            throw staging.Ttl <= TimeSpan.Zero
                ? MeshException.Invalid(StorageReasons.StagingTtlInvalid, "staging_ttl", "must be positive")
                : MeshException.Invalid(StorageReasons.RangeInvalid, "resume_from", "must not be negative");
        }

        if (staging.ResumeFrom == 0)
        {
            return new StagingProgress(staging, null, settings.ChunkSize);
        }

        var stored = await TryLoadStagingAsync(staging.Key, cancellationToken).ConfigureAwait(false);
        var record = stored?.Record;
        if (record is null
            || record.ExpireTime <= timeProvider.GetUtcNow()
            || record.Size != staging.ResumeFrom
            || record.ChunkSize is < StorageOptions.MinChunkSize or > StorageOptions.MaxChunkSize
            || !record.IsPrefixOf(request.ExpectedSha256, request.ExpectedSize))
        {
            var staged = record is not null && record.IsPrefixOf(request.ExpectedSha256, request.ExpectedSize) && record.ExpireTime > timeProvider.GetUtcNow() ? record.Size : 0;
            throw MeshException.Precondition(StorageReasons.StagedOffsetMismatch, $"Upload '{staging.Key}' has {staged} bytes of this content staged, not {staging.ResumeFrom}: resume at the staged offset or start again at 0.");
        }

        return new StagingProgress(staging, record, record.ChunkSize);
    }

    /// <summary>Feeds the staged prefix into the whole-content hash, one chunk at a time, checking each chunk against its digest.</summary>
    private async ValueTask<(long Total, int ChunkCount)> ReadBackStagedAsync(StagingRecord resumed, IncrementalHash whole, ArrayBufferWriter<byte> digests, CancellationToken cancellationToken)
    {
        for (var index = 0; index < resumed.ChunkCount; index++)
        {
            var digest = resumed.Chunk(index);
            StateItem? item;
            try
            {
                item = await state.GetAsync(ChunkKey(digest), cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException)
            {
                item = null;
            }

            if (item is null || item.Value.Length != resumed.ChunkSize || await HashAlongsideAsync(item.Value, whole).ConfigureAwait(false) != digest)
            {
                throw MeshException.Precondition(StorageReasons.StagingLost, $"Chunk {index} staged for upload '{resumed.Key}' is missing or damaged; start the upload again at 0.");
            }

            digest.WriteTo(digests.GetSpan(Sha256Hash.ByteLength));
            digests.Advance(Sha256Hash.ByteLength);
        }

        return (resumed.Size, resumed.ChunkCount);
    }

    /// <summary>Writes the manifest of a resumed upload and settles its staging record in one commit.</summary>
    private async ValueTask<bool> WriteResumedManifestAsync(WrittenContent written, byte[] encoded, StagingProgress progress, CancellationToken cancellationToken)
    {
        while (true)
        {
            var settle = await SettleOperationAsync(progress, written.ChunkDigests, cancellationToken).ConfigureAwait(false);
            if (settle is null)
            {
                // Settled by a concurrent resume that stored the blob, or collected: then its prefix may be gone.
                return await TryLoadAsync(written.Id, cancellationToken).ConfigureAwait(false) is null
                    ? throw MeshException.Precondition(StorageReasons.StagingLost, $"Upload '{progress.Staging.Key}' expired and was collected while it was being resumed; start it again at 0.")
                    : false;
            }

            List<StateOperation> operations = [StateOperation.Upsert(BlobKey(written.Id), encoded, ETag.Absent), settle];
            if (written.Tail is { } tail)
            {
                operations.Insert(0, StateOperation.Upsert(ChunkKey(tail.Digest), tail.Data));
            }

            try
            {
                await state.TransactAsync(operations, cancellationToken).ConfigureAwait(false);
                progress.Settled = true;
                return true;
            }
            catch (ETagMismatchException e) when (e.Key == settle.Key)
            {
                // Another attempt of the same upload staged more meanwhile: settle what is there now.
            }
        }
    }

    /// <summary>Settles the staging record of a resumed upload whose blob exists (stored by this put or a concurrent one).</summary>
    private async ValueTask SettleStagingAsync(StagingProgress progress, ReadOnlyMemory<byte> blobChunks, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await SettleOperationAsync(progress, blobChunks, cancellationToken).ConfigureAwait(false) is not { } settle)
            {
                progress.Settled = true;
                return;
            }

            try
            {
                await state.TransactAsync([settle], cancellationToken).ConfigureAwait(false);
                progress.Settled = true;
                return;
            }
            catch (ETagMismatchException)
            {
            }
        }
    }

    /// <summary>
    /// The write that takes the chunks a completed blob refers to out of its staging record: the
    /// record is deleted, or keeps (expiring now) only the chunks the blob does not refer to. Null
    /// when there is no record any more.
    /// </summary>
    private async ValueTask<StateOperation?> SettleOperationAsync(StagingProgress progress, ReadOnlyMemory<byte> blobChunks, CancellationToken cancellationToken)
    {
        var key = StagedKey(progress.Staging.Key);
        if (await TryLoadStagingAsync(progress.Staging.Key, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            return null;
        }

        var referenced = new HashSet<Sha256Hash>();
        for (var at = 0; at < blobChunks.Length; at += Sha256Hash.ByteLength)
        {
            referenced.Add(Sha256Hash.FromBytes(blobChunks.Span.Slice(at, Sha256Hash.ByteLength)));
        }

        var rest = stored.Record.Owned.Where(o => !referenced.Contains(Sha256Hash.FromBytes(o.Chunk))).ToList();
        return rest.Count == 0
            ? StateOperation.Delete(key, stored.ETag)
            : StateOperation.Upsert(key, StagingRecordCodec.Encode(stored.Record with { Chunks = [], Owned = rest, ExpireTime = timeProvider.GetUtcNow() }), stored.ETag);
    }

    /// <summary>
    /// Records what a put that did not complete stored: the durable prefix (unless the content was
    /// refused) and the chunks it created, merged with what earlier attempts of the same upload
    /// staged. Never throws: the put's own failure is what the caller needs to see.
    /// </summary>
    private async ValueTask StageAsync(StagingProgress progress, BlobPutRequest request, Exception failure)
    {
        var key = StagedKey(progress.Staging.Key);

        // Refused content (digest, size, a lost prefix) is not resumable: keep its chunks for the collector only.
        var refused = failure is MeshException { Kind: ErrorKind.InvalidArgument or ErrorKind.ResourceExhausted or ErrorKind.FailedPrecondition };
        byte[] prefix;
        List<OwnedChunk> created;
        lock (progress)
        {
            prefix = refused ? [] : [.. progress.Resumed?.Chunks ?? [], .. progress.StoredChunks.SelectMany(c => c.Digest.ToArray())];
            created = [.. progress.StoredChunks.Where(c => c.CreatedETag is not null).Select(c => new OwnedChunk(c.Digest.ToArray(), c.CreatedETag!))];
        }

        try
        {
            for (var attempt = 0; attempt < 8; attempt++)
            {
                var stored = await TryLoadStagingAsync(progress.Staging.Key, CancellationToken.None).ConfigureAwait(false);
                var current = stored?.Record;
                var chunks = prefix;
                if (!refused && progress.Resumed is not null && current is null)
                {
                    // The record this put resumed was collected meanwhile: its chunks may be gone.
                    chunks = [];
                }
                else if (!refused && current is not null && current.ChunkSize == progress.ChunkSize
                    && current.IsPrefixOf(request.ExpectedSha256, request.ExpectedSize) && current.Chunks.Length > chunks.Length)
                {
                    // A concurrent attempt of the same upload staged more.
                    chunks = current.Chunks;
                }

                var owned = (current?.Owned ?? []).Concat(created).DistinctBy(o => (Convert.ToHexString(o.Chunk), o.ETag)).ToList();
                if (chunks.Length == 0 && owned.Count == 0)
                {
                    return;
                }

                var now = timeProvider.GetUtcNow();
                var record = new StagingRecord(
                    StagingRecord.CurrentVersion,
                    progress.Staging.Key,
                    progress.ChunkSize,
                    chunks,
                    request.ExpectedSha256?.Hex,
                    request.ExpectedSize,
                    chunks.Length == 0 ? now : now + progress.Staging.Ttl,
                    owned);
                try
                {
                    await state.SetAsync(key, StagingRecordCodec.Encode(record), stored?.ETag ?? ETag.Absent, CancellationToken.None).ConfigureAwait(false);
                    logger.UploadStaged(progress.Staging.Key, record.Size, owned.Count, record.ExpireTime);
                    return;
                }
                catch (ETagMismatchException)
                {
                    // Another attempt of the same upload staged meanwhile: merge with it.
                }
            }

            logger.StagingFailed(progress.Staging.Key, null);
        }
        catch (Exception e) when (e is MeshException or IOException or InvalidOperationException)
        {
            logger.StagingFailed(progress.Staging.Key, e);
        }
    }

    private async ValueTask<(StagingRecord Record, string ETag)?> TryLoadStagingAsync(string key, CancellationToken cancellationToken)
    {
        var item = await state.GetAsync(StagedKey(key), cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return null;
        }

        // An unreadable record is nothing to resume; the collector removes it.
        return StagingRecordCodec.Decode(item.Value) is { } record ? (record, item.ETag) : null;
    }

    /// <summary>What one put with staging has stored so far.</summary>
    private sealed class StagingProgress(BlobStaging staging, StagingRecord? resumed, int chunkSize)
    {
        private readonly List<(Sha256Hash Digest, string? CreatedETag)> stored = [];

        public BlobStaging Staging { get; } = staging;

        /// <summary>The staged upload this put continues, if any.</summary>
        public StagingRecord? Resumed { get; } = resumed;

        public int ChunkSize { get; } = chunkSize;

        /// <summary>Set once the staging record has been settled by a completed blob.</summary>
        public bool Settled { get; set; }

        /// <summary>Full chunks written durably by this put, in content order, with the ETag of those it created.</summary>
        public IReadOnlyList<(Sha256Hash Digest, string? CreatedETag)> StoredChunks => stored;

        public void Stored(Sha256Hash digest, string? createdETag)
        {
            lock (this)
            {
                stored.Add((digest, createdETag));
            }
        }
    }
}
