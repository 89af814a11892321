using Mesh.ServiceDefaults.Hosting;
using Mesh.Errors;
using Mesh.State;
using Mesh.Storage.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Storage.Infrastructure;

/// <summary>What one collection did.</summary>
/// <param name="Uploads">Staged uploads past their time that were collected.</param>
/// <param name="ChunksDeleted">Chunks deleted: created by those uploads and referred to by nothing since.</param>
/// <param name="ChunksKept">Chunks kept: written since by a put that refers to them (or already gone).</param>
public sealed record StagingCollection(int Uploads, int ChunksDeleted, int ChunksKept);

/// <summary>
/// Deletes what staged uploads left behind once their staging time has passed: the chunks they
/// created, each only under the ETag its creation gave it, so that a chunk any blob has come to
/// refer to since survives (ChunkedBlobStore.Staging.cs says why that is enough). A staged record
/// is first moved to <c>staged-collect/{key}</c> in one conditional commit, so that no resume can
/// use it any more, and a collection stopped half-way (crash, shutdown) is finished by the next one.
/// Safe to run in several replicas at once: each step is conditional.
/// </summary>
public sealed class StagedUploadCollector(IStateStore state, TimeProvider timeProvider, ILogger<StagedUploadCollector> logger)
{
    private const string StagedPrefix = "staged/";
    private const string CollectPrefix = "staged-collect/";
    private const int PageSize = 100;

    public async Task<StagingCollection> CollectAsync(CancellationToken cancellationToken)
    {
        var uploads = 0;
        var deleted = 0;
        var kept = 0;

        // First what an earlier collection left half-done.
        await foreach (var item in ScanAsync(CollectPrefix, cancellationToken).ConfigureAwait(false))
        {
            var (d, k) = await DeleteOwnedAsync(item, StagingRecordCodec.Decode(item.Value), cancellationToken).ConfigureAwait(false);
            (uploads, deleted, kept) = (uploads + 1, deleted + d, kept + k);
        }

        var now = timeProvider.GetUtcNow();
        await foreach (var item in ScanAsync(StagedPrefix, cancellationToken).ConfigureAwait(false))
        {
            var record = StagingRecordCodec.Decode(item.Value);
            if (record is not null && record.ExpireTime > now)
            {
                continue;
            }

            var collectKey = CollectPrefix + item.Key[StagedPrefix.Length..];
            try
            {
                await state.TransactAsync([StateOperation.Delete(item.Key, item.ETag), StateOperation.Upsert(collectKey, item.Value, ETag.Absent)], cancellationToken).ConfigureAwait(false);
            }
            catch (ETagMismatchException)
            {
                // Resumed, staged again, or taken by another collector meanwhile: not ours to collect now.
                continue;
            }

            var collecting = await state.GetAsync(collectKey, cancellationToken).ConfigureAwait(false);
            if (collecting is not null)
            {
                var (d, k) = await DeleteOwnedAsync(collecting, record, cancellationToken).ConfigureAwait(false);
                (uploads, deleted, kept) = (uploads + 1, deleted + d, kept + k);
            }
        }

        return new StagingCollection(uploads, deleted, kept);
    }

    private async Task<(int Deleted, int Kept)> DeleteOwnedAsync(StateItem collecting, StagingRecord? record, CancellationToken cancellationToken)
    {
        var deleted = 0;
        var kept = 0;
        foreach (var owned in record?.Owned ?? [])
        {
            try
            {
                await state.DeleteAsync(ChunkedBlobStore.ChunkKey(Sha256Hash.FromBytes(owned.Chunk)), owned.ETag, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
            catch (ETagMismatchException)
            {
                kept++;
            }
        }

        try
        {
            await state.DeleteAsync(collecting.Key, collecting.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (ETagMismatchException)
        {
            // Finished by another collector.
        }

        logger.StagingCollected(record?.Key ?? collecting.Key, deleted, kept);
        return (deleted, kept);
    }

    private async IAsyncEnumerable<StateItem> ScanAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            var page = await state.ScanAsync(prefix, after, PageSize, cancellationToken).ConfigureAwait(false);
            foreach (var item in page)
            {
                yield return item;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = page[^1].Key;
        }
    }
}

/// <summary>Runs <see cref="StagedUploadCollector"/> every <see cref="StorageOptions.StagingCollectInterval"/>.</summary>
internal sealed class StagedUploadCollectorService(StagedUploadCollector collector, IOptions<StorageOptions> options, TimeProvider timeProvider, ILogger<StagedUploadCollector> logger) : PeriodicWork(timeProvider)
{
    protected override TimeSpan Interval => options.Value.StagingCollectInterval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => collector.CollectAsync(cancellationToken);

    protected override void OnFailed(Exception exception) => logger.StagingCollectionFailed(exception);
}
