using Mesh.ServiceDefaults.Hosting;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Routing.V1;
using Mesh.Errors;
using Mesh.Routing.Domain;
using Mesh.State;
using Mesh.Storage.Domain;
using Microsoft.Extensions.Options;

namespace Mesh.Routing.Infrastructure;

/// <summary>An attachment as recorded with an interrupted send.</summary>
/// <param name="Sha256">Declared SHA-256, hex.</param>
/// <param name="Size">Declared size.</param>
/// <param name="Role">Declared role (AttachmentRole).</param>
/// <param name="Complete">Stored whole before the stream broke.</param>
internal sealed record UploadedAttachment(string Sha256, long Size, int Role, bool Complete);

/// <summary>What routing recorded of a send whose stream broke during its attachments.</summary>
/// <param name="ManifestSha256">SHA-256 of its manifest bytes, hex: a resume must carry the same manifest.</param>
/// <param name="Attachments">Its declared attachments, in manifest order.</param>
/// <param name="ExpireTime">When it is forgotten (and its staged bytes deleted by storage).</param>
internal sealed record UploadRecord(string ManifestSha256, List<UploadedAttachment> Attachments, DateTimeOffset ExpireTime);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(UploadRecord))]
internal sealed partial class UploadJson : JsonSerializerContext;

/// <summary>Keys of interrupted sends: routing's record, and storage's staging key of each attachment.</summary>
internal static class UploadKeys
{
    public const string Prefix = "routing/upload/";

    public static string RequestHash(string requestId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestId)))[..40];

    public static string Record(string sender, string requestHash) => $"{Prefix}{sender}/{requestHash}";

    public static string Staging(string sender, string requestHash, int index) => $"send/{sender}/{requestHash}/{index}";
}

/// <summary>
/// Upload resume (issue 7): receives a send's attachments through <see cref="AttachmentReceiver"/>
/// with every put staged by storage should the stream break, and records, only then, which
/// attachments were complete and under which manifest (<c>routing/upload/{sender}/{hash}</c>), so
/// that GetUploadStatus can say where to resume. A send that completes writes nothing more than
/// before: storage stages nothing for a put that completes, and the record is written only on the
/// interruption path. What a send costs in addition is in memory: the registration that lets
/// GetUploadStatus wait until an interruption is recorded.
/// </summary>
internal sealed partial class UploadStaging(IStateStore store, IBlobStorage blobs, TimeProvider time, IOptions<RoutingOptions> options, ILogger<UploadStaging> logger)
{
    // GetUploadStatus waits at most this long for an interrupted stream of the same send to be recorded.
    private static readonly TimeSpan RecordingWait = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<(string Sender, string RequestId), TaskCompletionSource> receiving = new();

    public TimeSpan Ttl => options.Value.UploadStagingTtl;

    /// <summary>
    /// Receives the attachments of a send (resuming what an interrupted send of the same request
    /// staged, when the stream asks to); returns the main document's bytes when kept.
    /// </summary>
    public async Task<byte[]?> ReceiveAsync(
        string sender,
        string requestId,
        string manifestSha256,
        DocumentManifest manifest,
        bool keepMainDocument,
        Func<CancellationToken, ValueTask<AttachmentChunk?>> nextChunk,
        CancellationToken cancellationToken)
    {
        var session = new UploadSession(this, sender, requestId, manifestSha256, manifest);
        var key = (sender, requestId);
        var recorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiving[key] = recorded;
        AttachmentReceiver? receiver = null;
        try
        {
            await using (receiver = new AttachmentReceiver(blobs, manifest, keepMainDocument, session))
            {
                while (await nextChunk(cancellationToken).ConfigureAwait(false) is { } chunk)
                {
                    await receiver.AcceptAsync(chunk, cancellationToken).ConfigureAwait(false);
                }

                await receiver.CompleteAsync(cancellationToken).ConfigureAwait(false);
                if (session.ResumedBytes > 0)
                {
                    RoutingTelemetry.UploadBytesResumed.Add(session.ResumedBytes);
                }

                return receiver.MainDocument;
            }
        }
        catch (Exception e) when (IsInterruption(e))
        {
            // Runs after the receiver is disposed: every put has settled and storage has staged what it holds.
            await RecordInterruptedAsync(session, receiver!).ConfigureAwait(false);
            throw;
        }
        finally
        {
            receiving.TryRemove(KeyValuePair.Create(key, recorded));
            recorded.TrySetResult();
        }
    }

    /// <summary>What is staged of an interrupted send; null when nothing is (or no longer) known.</summary>
    public async Task<GetUploadStatusResponse?> StatusAsync(string sender, string requestId, CancellationToken cancellationToken)
    {
        var hash = UploadKeys.RequestHash(requestId);
        var record = await LoadAsync(sender, hash, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        var response = new GetUploadStatusResponse { ManifestSha256 = ByteString.CopyFrom(Convert.FromHexString(record.ManifestSha256)) };
        var expires = record.ExpireTime;
        for (var i = 0; i < record.Attachments.Count; i++)
        {
            var (staged, stagedExpiry) = await StagedAsync(sender, hash, i, record, cancellationToken).ConfigureAwait(false);
            if (stagedExpiry < expires)
            {
                expires = stagedExpiry.Value;
            }

            response.Attachments.Add(new AttachmentUploadStatus { AttachmentIndex = i, Size = record.Attachments[i].Size, StagedBytes = staged });
        }

        response.ExpireTime = Timestamp.FromDateTimeOffset(expires);
        return response;
    }

    /// <summary>Waits (a bounded time) until a send of this request that is still being received or recorded has ended.</summary>
    public async Task WaitForRecordingAsync(string sender, string requestId, CancellationToken cancellationToken)
    {
        if (!receiving.TryGetValue((sender, requestId), out var recorded))
        {
            return;
        }

        try
        {
            await recorded.Task.WaitAsync(RecordingWait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Still streaming (the break has not reached this hub yet): report what is recorded so far.
        }
    }

    /// <summary>Deletes the records of interrupted sends past their staging time (storage collects their bytes).</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var swept = 0;
        string? after = null;
        while (true)
        {
            var page = await store.ScanAsync(UploadKeys.Prefix, after, 100, cancellationToken).ConfigureAwait(false);
            foreach (var item in page)
            {
                if (Read(item) is { } record && record.ExpireTime > now)
                {
                    continue;
                }

                try
                {
                    await store.DeleteAsync(item.Key, item.ETag, cancellationToken).ConfigureAwait(false);
                    swept++;
                }
                catch (ETagMismatchException)
                {
                    // Interrupted again meanwhile: it has a new staging time.
                }
            }

            if (page.Count < 100)
            {
                return swept;
            }

            after = page[^1].Key;
        }
    }

    /// <summary>The record of an interrupted send, unless expired.</summary>
    internal async Task<UploadRecord?> LoadAsync(string sender, string requestHash, CancellationToken cancellationToken)
    {
        var item = await store.GetAsync(UploadKeys.Record(sender, requestHash), cancellationToken).ConfigureAwait(false);
        return item is not null && Read(item) is { } record && record.ExpireTime > time.GetUtcNow() ? record : null;
    }

    /// <summary>
    /// Bytes of attachment <paramref name="index"/> a resume starts at: all of it when it was
    /// stored whole; otherwise what storage staged, except for a main document kept in memory for
    /// PDF verification, which is resumed only whole.
    /// </summary>
    internal async Task<(long Staged, DateTimeOffset? ExpireTime)> StagedAsync(string sender, string requestHash, int index, UploadRecord record, CancellationToken cancellationToken)
    {
        var attachment = record.Attachments[index];
        if (attachment.Complete)
        {
            return (attachment.Size, null);
        }

        if (KeepsMainDocument && attachment.Role == (int)AttachmentRole.MainDocument)
        {
            return (0, null);
        }

        var staged = await blobs.GetStagedAsync(UploadKeys.Staging(sender, requestHash, index), cancellationToken).ConfigureAwait(false);
        return staged is not null && staged.ExpectedSha256?.Hex == attachment.Sha256 && staged.ExpectedSize == attachment.Size
            ? (staged.Size, staged.ExpireTime)
            : (0, null);
    }

    private bool KeepsMainDocument => options.Value.PdfSignatures != PdfSignaturePolicy.Off;

    // A refusal is final; anything else (the stream broke, the call was cancelled, a backend was unavailable) may be resumed.
    private static bool IsInterruption(Exception e) => e is not MeshException || e is MeshException { Kind: ErrorKind.Unavailable };

    private async Task RecordInterruptedAsync(UploadSession session, AttachmentReceiver receiver)
    {
        try
        {
            var previous = await LoadAsync(session.Sender, session.RequestHash, CancellationToken.None).ConfigureAwait(false);
            var carried = previous is not null && previous.ManifestSha256 == session.ManifestSha256 ? previous : null;
            var attachments = session.Manifest.Attachments
                .Select((a, i) => new UploadedAttachment(Convert.ToHexStringLower(a.Sha256.Span), a.Size, (int)a.Role, receiver.IsStored(i) || carried?.Attachments[i].Complete == true))
                .ToList();
            var record = new UploadRecord(session.ManifestSha256, attachments, time.GetUtcNow() + Ttl);
            await store.SetAsync(UploadKeys.Record(session.Sender, session.RequestHash), JsonSerializer.SerializeToUtf8Bytes(record, UploadJson.Default.UploadRecord), cancellationToken: CancellationToken.None).ConfigureAwait(false);
            RoutingTelemetry.UploadsInterrupted.Add(1);
            LogInterrupted(logger, session.Sender, session.RequestId, attachments.Count(a => a.Complete));
        }
        catch (Exception e) when (e is MeshException or IOException or InvalidOperationException or JsonException)
        {
            LogRecordFailed(logger, e, session.Sender, session.RequestId);
        }
    }

    private static UploadRecord? Read(StateItem item)
    {
        try
        {
            return JsonSerializer.Deserialize(item.Value.Span, UploadJson.Default.UploadRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Send {RequestId} of {Sender} broke during its attachments ({Complete} complete); recorded for a resume")]
    private static partial void LogInterrupted(ILogger logger, string sender, string requestId, int complete);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Send {RequestId} of {Sender} broke and could not be recorded for a resume; it will start again at 0")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, string sender, string requestId);
}

/// <summary>One send's view of what an interrupted send of the same request left, read only when the stream asks to resume.</summary>
internal sealed class UploadSession(UploadStaging staging, string sender, string requestId, string manifestSha256, DocumentManifest manifest)
{
    private string? requestHash;
    private Task<UploadRecord?>? previous;

    public string Sender { get; } = sender;

    public string RequestId { get; } = requestId;

    public string ManifestSha256 { get; } = manifestSha256;

    public DocumentManifest Manifest { get; } = manifest;

    public string RequestHash => requestHash ??= UploadKeys.RequestHash(RequestId);

    /// <summary>Attachment bytes this send did not receive again.</summary>
    public long ResumedBytes { get; private set; }

    /// <summary>The staging of attachment <paramref name="index"/>'s put, continuing at <paramref name="resumeFrom"/>.</summary>
    public BlobStaging Staging(int index, long resumeFrom) =>
        new(UploadKeys.Staging(Sender, RequestHash, index), staging.Ttl) { ResumeFrom = resumeFrom };

    /// <summary>Where attachment <paramref name="index"/> resumes; throws UPLOAD_MANIFEST_MISMATCH.</summary>
    public async ValueTask<long> StagedBytesAsync(int index, CancellationToken cancellationToken)
    {
        var record = await PreviousAsync(cancellationToken).ConfigureAwait(false);
        return record is null ? 0 : (await staging.StagedAsync(Sender, RequestHash, index, record, cancellationToken).ConfigureAwait(false)).Staged;
    }

    /// <summary>Whether attachment <paramref name="index"/> was stored whole by the interrupted send; throws UPLOAD_MANIFEST_MISMATCH.</summary>
    public async ValueTask<bool> IsCompleteAsync(int index, CancellationToken cancellationToken) =>
        (await PreviousAsync(cancellationToken).ConfigureAwait(false))?.Attachments[index].Complete == true;

    public void Resumed(long bytes) => ResumedBytes += bytes;

    private async ValueTask<UploadRecord?> PreviousAsync(CancellationToken cancellationToken)
    {
        var record = await (previous ??= staging.LoadAsync(Sender, RequestHash, cancellationToken)).ConfigureAwait(false);
        if (record is not null && !string.Equals(record.ManifestSha256, ManifestSha256, StringComparison.Ordinal))
        {
            throw MeshException.Precondition(
                RoutingReasons.UploadManifestMismatch,
                $"Request id '{RequestId}' has staged bytes of a send with another manifest (SHA-256 {record.ManifestSha256}); resume with exactly that manifest, or send this one from offset 0.");
        }

        return record;
    }
}

/// <summary>Deletes the records of interrupted sends past their staging time, every <see cref="RoutingOptions.UploadSweepInterval"/>.</summary>
internal sealed partial class UploadRecordSweeper(UploadStaging staging, IOptions<RoutingOptions> options, TimeProvider time, ILogger<UploadRecordSweeper> logger) : PeriodicWork(time)
{
    protected override TimeSpan Interval => options.Value.UploadSweepInterval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => staging.SweepAsync(cancellationToken);

    protected override void OnFailed(Exception exception) => LogSweepFailed(logger, exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deleting expired records of interrupted sends failed; retried at the next run")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
