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
/// its configured limit, for PDF signature verification.
/// </summary>
internal sealed class AttachmentReceiver(IBlobStorage blobs, DocumentManifest manifest, bool keepMainDocument) : IAsyncDisposable
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

        var slot = slots[index] ??= Start(index, declared);
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
            var slot = slots[i] ??= Start(i, declared);
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

            if (slots[i]!.Buffer is { } buffer)
            {
                MainDocument = buffer;
            }
        }

        return stored;
    }

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
            await slot.Put.ConfigureAwait(false);
            throw;
        }
    }

    private Slot Start(int index, AttachmentDescriptor declared)
    {
        var channel = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var request = new BlobPutRequest(string.IsNullOrEmpty(declared.MediaType) ? BlobInfo.DefaultMediaType : declared.MediaType)
        {
            ExpectedSha256 = Sha256Hash.FromBytes(declared.Sha256.Span),
            ExpectedSize = declared.Size,
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
        return new Slot(channel, put, buffer);
    }

    private sealed class Slot(Channel<ReadOnlyMemory<byte>> channel, Task<BlobPutResult> put, byte[]? buffer)
    {
        public Channel<ReadOnlyMemory<byte>> Channel { get; } = channel;

        public Task<BlobPutResult> Put { get; } = put;

        public byte[]? Buffer { get; } = buffer;

        public long Received { get; set; }
    }
}
