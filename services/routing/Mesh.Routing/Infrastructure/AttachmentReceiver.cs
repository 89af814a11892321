using System.Threading.Channels;
using Mesh.Contracts.Routing.V1;
using Mesh.Errors;
using Mesh.Routing.Domain;
using Mesh.Storage.Domain;

namespace Mesh.Routing.Infrastructure;

/// <summary>
/// Streams the chunks of a send straight into blob storage: one put per attachment, fed through a
/// two-slot channel, so memory stays bounded whatever the sizes (storage hashes while it writes and
/// checks the manifest's digest and size). Only the main document is also kept in memory, up to
/// its configured limit, for PDF signature verification. With an <see cref="UploadSession"/>, every
/// put is staged should the send break, and an attachment may continue what an interrupted send
/// of the same request staged (its first chunk at the staged offset, or left out when complete).
/// </summary>
internal sealed class AttachmentReceiver(IBlobStorage blobs, DocumentManifest manifest, bool keepMainDocument, UploadSession? upload = null) : IAsyncDisposable
{
    /// <summary>Largest data of one chunk message (routing.proto).</summary>
    public const int MaxChunkData = 1024 * 1024;

    private readonly Slot?[] slots = new Slot?[manifest.Attachments.Count];
    private readonly CancellationTokenSource abort = new();

    /// <summary>The main document's bytes, when kept.</summary>
    public byte[]? MainDocument { get; private set; }

    /// <summary>Takes one chunk; throws UNDECLARED_CHUNK, CHUNK_OUT_OF_ORDER, CHUNK_TOO_LARGE or SIZE_MISMATCH.</summary>
    public async ValueTask AcceptAsync(AttachmentChunk chunk, CancellationToken cancellationToken)
    {
        var index = chunk.AttachmentIndex;
        if (index < 0 || index >= slots.Length)
        {
            throw MeshException.Invalid(RoutingReasons.UndeclaredChunk, "chunk.attachment_index", $"{index} is not a declared attachment (0..{slots.Length - 1})");
        }

        var declared = manifest.Attachments[index];
        if (chunk.Data.Length > MaxChunkData)
        {
            throw MeshException.Invalid(RoutingReasons.ChunkTooLarge, "chunk.data", $"{chunk.Data.Length} bytes exceed {MaxChunkData} per chunk");
        }

        var slot = slots[index] ??= chunk.Offset > 0 && upload is not null
            ? await ResumeAsync(index, declared, chunk.Offset, cancellationToken).ConfigureAwait(false)
            : Start(index, declared);
        if (slot.Received == declared.Size && chunk.Data.Length > 0)
        {
            throw MeshException.Invalid(RoutingReasons.UndeclaredChunk, $"attachments[{index}]", $"'{declared.Name}' is already complete ({declared.Size} bytes); the chunk at offset {chunk.Offset} was not declared");
        }

        if (chunk.Offset != slot.Received)
        {
            throw MeshException.Invalid(RoutingReasons.ChunkOutOfOrder, $"attachments[{index}]", $"expected offset {slot.Received} of '{declared.Name}', got {chunk.Offset}");
        }

        if (slot.Received + chunk.Data.Length > declared.Size)
        {
            throw MeshException.Invalid(RoutingReasons.SizeMismatch, $"attachments[{index}].size", $"'{declared.Name}' is longer than its declared {declared.Size} bytes");
        }

        if (chunk.Data.Length == 0)
        {
            return;
        }

        if (slot.Buffer is not null)
        {
            chunk.Data.Span.CopyTo(slot.Buffer.AsSpan((int)slot.Received));
        }

        slot.Received += chunk.Data.Length;
        await WriteAsync(slot, chunk.Data.Memory, cancellationToken).ConfigureAwait(false);
        if (slot.Received == declared.Size)
        {
            slot.Channel.Writer.TryComplete();
        }
    }

    /// <summary>Ends the stream: every attachment must be complete and stored with its declared digest.</summary>
    public async ValueTask<IReadOnlyList<BlobInfo>> CompleteAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < slots.Length; i++)
        {
            var declared = manifest.Attachments[i];

            // Left out of the stream: complete in an interrupted send of the same request, or missing.
            var slot = slots[i] ??= declared.Size > 0 && upload is not null && await upload.IsCompleteAsync(i, cancellationToken).ConfigureAwait(false)
                ? Stored(i, declared)
                : Start(i, declared);
            if (slot.Received != declared.Size)
            {
                throw MeshException.Invalid(RoutingReasons.AttachmentMissing, $"attachments[{i}]", $"'{declared.Name}': {slot.Received} of {declared.Size} bytes arrived");
            }

            slot.Channel.Writer.TryComplete();
        }

        var stored = new BlobInfo[slots.Length];
        for (var i = 0; i < slots.Length; i++)
        {
            try
            {
                stored[i] = (await slots[i]!.Put.WaitAsync(cancellationToken).ConfigureAwait(false)).Blob;
            }
            catch (MeshException e) when (e.Reason == StorageReasons.DigestMismatch)
            {
                throw MeshException.Invalid(RoutingReasons.DigestMismatch, $"attachments[{i}].sha256", $"the content of '{manifest.Attachments[i].Name}' does not match its declared SHA-256");
            }
            catch (MeshException e) when (e.Reason == StorageReasons.SizeMismatch)
            {
                throw MeshException.Invalid(RoutingReasons.SizeMismatch, $"attachments[{i}].size", $"'{manifest.Attachments[i].Name}' does not have its declared size");
            }
            catch (MeshException e) when (e.Reason == StorageReasons.BlobTooLarge)
            {
                throw MeshException.Invalid(RoutingReasons.AttachmentTooLarge, $"attachments[{i}].size", e.Message);
            }
            catch (MeshException e) when (StagingRefusal(e) is { } refusal)
            {
                throw refusal;
            }

            if (slots[i]!.Buffer is { } buffer)
            {
                MainDocument = buffer;
            }
        }

        return stored;
    }

    /// <summary>Whether attachment <paramref name="index"/> is stored whole (so far, or after the send broke).</summary>
    public bool IsStored(int index) => slots[index]?.Put.IsCompletedSuccessfully == true;

    public async ValueTask DisposeAsync()
    {
        await abort.CancelAsync().ConfigureAwait(false);
        foreach (var slot in slots)
        {
            if (slot is null)
            {
                continue;
            }

            slot.Channel.Writer.TryComplete();
            try
            {
                await slot.Put.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or MeshException or ChannelClosedException)
            {
                // A refused or abandoned send: the blob was never completed, nothing references it.
            }
        }

        abort.Dispose();
    }

    private async ValueTask WriteAsync(Slot slot, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await slot.Channel.Writer.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The put stopped early: its own exception says why (digest, size, storage).
            try
            {
                await slot.Put.ConfigureAwait(false);
            }
            catch (MeshException e) when (StagingRefusal(e) is { } refusal)
            {
                throw refusal;
            }

            throw;
        }
    }

    /// <summary>
    /// Continues attachment <paramref name="index"/> at <paramref name="offset"/>, which must be what an
    /// interrupted send of the same request staged: UPLOAD_OFFSET_MISMATCH otherwise.
    /// </summary>
    private async ValueTask<Slot> ResumeAsync(int index, AttachmentDescriptor declared, long offset, CancellationToken cancellationToken)
    {
        var staged = await upload!.StagedBytesAsync(index, cancellationToken).ConfigureAwait(false);
        if (offset != staged)
        {
            throw MeshException.Precondition(
                RoutingReasons.UploadOffsetMismatch,
                $"'{declared.Name}' (attachment {index}) has {staged} bytes staged for this request id, so its first chunk starts at {staged} (or at 0 to send it again), not at {offset}.");
        }

        upload.Resumed(staged);
        return staged == declared.Size ? Stored(index, declared) : Start(index, declared, staged);
    }

    /// <summary>An attachment stored whole by an interrupted send of the same request: nothing more to receive.</summary>
    private Slot Stored(int index, AttachmentDescriptor declared)
    {
        var channel = Channel.CreateBounded<ReadOnlyMemory<byte>>(1);
        channel.Writer.TryComplete();
        var buffer = keepMainDocument && declared.Role == AttachmentRole.MainDocument ? new byte[declared.Size] : null;
        var id = Sha256Hash.FromBytes(declared.Sha256.Span);
        var put = Task.Run(async () =>
        {
            var blob = await blobs.StatAsync(id, abort.Token).ConfigureAwait(false);
            if (buffer is not null)
            {
                // The main document is verified from memory: read the stored copy back (bounded by MaxMainDocumentSize).
                await using var read = await blobs.OpenReadAsync(id, cancellationToken: abort.Token).ConfigureAwait(false);
                var at = 0;
                await foreach (var segment in read.Content.WithCancellation(abort.Token).ConfigureAwait(false))
                {
                    segment.Span.CopyTo(buffer.AsSpan(at));
                    at += segment.Length;
                }
            }

            return new BlobPutResult(blob, Created: false);
        });
        return new Slot(channel, put, buffer) { Received = declared.Size };
    }

    /// <summary>A storage refusal about staged bytes, as the routing reason adapters branch on.</summary>
    private static MeshException? StagingRefusal(MeshException e) => e.Reason switch
    {
        StorageReasons.StagedOffsetMismatch => MeshException.Precondition(RoutingReasons.UploadOffsetMismatch, $"The staged bytes changed while this send resumed them: ask GetUploadStatus again. {e.Message}"),
        StorageReasons.StagingLost => MeshException.Precondition(RoutingReasons.UploadStagingLost, e.Message),
        _ => null,
    };

    private Slot Start(int index, AttachmentDescriptor declared, long resumeFrom = 0)
    {
        var channel = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var request = new BlobPutRequest(string.IsNullOrEmpty(declared.MediaType) ? BlobInfo.DefaultMediaType : declared.MediaType)
        {
            ExpectedSha256 = Sha256Hash.FromBytes(declared.Sha256.Span),
            ExpectedSize = declared.Size,
            Staging = upload?.Staging(index, resumeFrom),
        };
        var put = Task.Run(async () =>
        {
            try
            {
                return await blobs.PutAsync(channel.Reader.ReadAllAsync(abort.Token), request, abort.Token).ConfigureAwait(false);
            }
            catch
            {
                channel.Writer.TryComplete();
                throw;
            }
        });
        var buffer = keepMainDocument && declared.Role == AttachmentRole.MainDocument ? new byte[declared.Size] : null;
        return new Slot(channel, put, buffer) { Received = resumeFrom };
    }

    private sealed class Slot(Channel<ReadOnlyMemory<byte>> channel, Task<BlobPutResult> put, byte[]? buffer)
    {
        public Channel<ReadOnlyMemory<byte>> Channel { get; } = channel;

        public Task<BlobPutResult> Put { get; } = put;

        public byte[]? Buffer { get; } = buffer;

        public long Received { get; set; }
    }
}
