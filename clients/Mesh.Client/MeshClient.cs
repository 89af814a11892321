using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.Audit.V1;
using Mesh.Contracts.Registry.V1;
using Mesh.Contracts.Routing.V1;
using Mesh.Contracts.Signature.V1;

namespace Mesh.Client;

/// <summary>
/// A connection to Mesh for one agency: send signed documents, watch and download the inbox,
/// acknowledge deliveries, report statuses, follow traces. Thread-safe; keep one per agency.
/// </summary>
public sealed class MeshClient : IDisposable
{
    private readonly GrpcChannel channel;
    private readonly MeshClientOptions options;

    private MeshClient(GrpcChannel channel, MeshClientOptions options)
    {
        this.channel = channel;
        this.options = options;
        Routing = new RoutingService.RoutingServiceClient(channel);
        Registry = new RegistryService.RegistryServiceClient(channel);
        Audit = new AuditService.AuditServiceClient(channel);
        Signature = new SignatureService.SignatureServiceClient(channel);
    }

    /// <summary>The raw routing API.</summary>
    public RoutingService.RoutingServiceClient Routing { get; }

    /// <summary>The raw registry API.</summary>
    public RegistryService.RegistryServiceClient Registry { get; }

    /// <summary>The raw audit API.</summary>
    public AuditService.AuditServiceClient Audit { get; }

    /// <summary>The raw signature API.</summary>
    public SignatureService.SignatureServiceClient Signature { get; }

    /// <summary>Opens a connection (TLS with the agency's client certificate).</summary>
    public static MeshClient Connect(MeshClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = options.ClientCertificate;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = new X509CertificateCollection { client },
                LocalCertificateSelectionCallback = (_, _, _, _, _) => client,
            },
        };
        if (options.TrustedCa is { } ca)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return chain.Build(server);
            };
        }

        var grpc = GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true, MaxReceiveMessageSize = 8 * 1024 * 1024 });
        return new MeshClient(grpc, options);
    }

    /// <summary>
    /// Signs and sends a document. Digests are computed first; then the signed manifest and the
    /// attachment bytes are streamed. A transient failure (connection lost, hub restarting) is
    /// retried with the same request id, so the hub creates the document at most once and
    /// returns the same receipt. A retry resumes the upload: it asks the hub what it staged of the
    /// broken stream (GetUploadStatus) and sends each attachment only from there, re-reading the
    /// attachment from its start only to skip to that offset when its stream cannot seek;
    /// <paramref name="progress"/> continues from the staged offset. When the hub staged nothing,
    /// refuses the resume, or does not know GetUploadStatus, the retry starts again at 0.
    /// </summary>
    /// <param name="header">The header; its From must be the caller's agency.</param>
    /// <param name="attachments">The main document and the other attachments.</param>
    /// <param name="requestId">
    /// Idempotency key; a new GUID when null. When given, the hub is first asked what it holds
    /// under it, so that a send interrupted by an earlier run (the adapter restarted) resumes, and
    /// one already accepted returns its receipt without sending anything.
    /// </param>
    /// <param name="progress">Upload progress.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    public async Task<SendDocumentResponse> SendAsync(DocumentHeader header, IReadOnlyList<OutgoingAttachment> attachments, string? requestId = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(attachments);
        var signer = options.SigningCertificate ?? throw new InvalidOperationException("MeshClientOptions.SigningCertificate is required to send.");
        var manifest = new DocumentManifest { Header = header };
        foreach (var a in attachments)
        {
            var (digest, size) = await DigestAsync(a, cancellationToken).ConfigureAwait(false);
            manifest.Attachments.Add(new AttachmentDescriptor
            {
                Name = a.Name, MediaType = a.MediaType, Role = a.Role, Size = size, Sha256 = ByteString.CopyFrom(digest),
                ContentId = a.ContentId, Description = a.Description,
            });
        }

        var manifestBytes = manifest.ToByteArray();
        var signature = CmsSigning.SignDetached(manifestBytes, signer);
        var id = requestId ?? Guid.NewGuid().ToString("N");
        var resume = requestId is null ? null : await UploadStatusAsync(id, manifestBytes, attachments.Count, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            if (resume?.Accepted is { } accepted)
            {
                return accepted;
            }

            try
            {
                return await SendOnceAsync(id, manifest, manifestBytes, signature, attachments, resume?.Offsets, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (IsTransient(ex) && attempt < options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff(attempt - 1), cancellationToken).ConfigureAwait(false);
                resume = await UploadStatusAsync(id, manifestBytes, attachments.Count, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (resume?.Offsets is not null && IsStaleResume(ex) && attempt < options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                // What was staged changed or expired between the status and the resume: send it all again.
                resume = null;
            }
        }
    }

    /// <summary>
    /// Asks the hub what it holds of the send <paramref name="requestId"/>: its response when
    /// accepted, the offsets to resume each attachment at when staged under this very manifest,
    /// null otherwise (nothing staged, another manifest, a hub without GetUploadStatus, or the
    /// question itself failed: the send then starts at 0).
    /// </summary>
    private async Task<UploadResume?> UploadStatusAsync(string requestId, byte[] manifestBytes, int attachmentCount, CancellationToken cancellationToken)
    {
        GetUploadStatusResponse status;
        try
        {
            status = await Routing.GetUploadStatusAsync(new GetUploadStatusRequest { RequestId = requestId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode is Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.Unimplemented || IsTransient(ex))
        {
            return null;
        }

        if (!status.ManifestSha256.Span.SequenceEqual(SHA256.HashData(manifestBytes)))
        {
            return null;
        }

        if (status.Accepted is { } accepted)
        {
            return new UploadResume(accepted, null);
        }

        return status.Attachments.Count == attachmentCount && status.Attachments.Select((a, i) => a.AttachmentIndex == i).All(x => x)
            ? new UploadResume(null, [.. status.Attachments.Select(a => a.StagedBytes)])
            : null;
    }

    private static bool IsStaleResume(RpcException exception) =>
        exception.StatusCode == Grpc.Core.StatusCode.FailedPrecondition
        && exception.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason is "UPLOAD_OFFSET_MISMATCH" or "UPLOAD_STAGING_LOST" or "UPLOAD_MANIFEST_MISMATCH";

    /// <summary>Lists the caller's inbox.</summary>
    public async Task<ListInboxResponse> ListInboxAsync(ListInboxRequest? request = null, CancellationToken cancellationToken = default) =>
        await RetryAsync(async ct => await Routing.ListInboxAsync(request ?? new ListInboxRequest(), cancellationToken: ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Watches the inbox from <paramref name="cursor"/>: every item after it, then new items as
    /// they arrive. Survives disconnections: it reconnects from the last cursor it yielded, so
    /// nothing is missed (an item may be seen again after a reconnect: discard it by item id).
    /// </summary>
    public async IAsyncEnumerable<InboxItem> WatchInboxAsync(string? cursor = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var last = cursor ?? "";
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            using var call = Routing.WatchInbox(new WatchInboxRequest { Cursor = last }, cancellationToken: cancellationToken);
            var stream = call.ResponseStream;
            while (true)
            {
                bool moved;
                try
                {
                    moved = await stream.MoveNext(cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(Backoff(failures++), cancellationToken).ConfigureAwait(false);
                    break;
                }

                if (!moved)
                {
                    break;
                }

                failures = 0;
                var message = stream.Current;
                if (message.Heartbeat || message.Item is null)
                {
                    continue;
                }

                last = message.Item.Cursor;
                yield return message.Item;
            }
        }
    }

    /// <summary>
    /// Downloads a document into <paramref name="directory"/>: each attachment is written to a
    /// file and checked against the size and SHA-256 of the signed manifest. A dropped stream is
    /// resumed from the bytes already written.
    /// </summary>
    /// <exception cref="InvalidDataException">An attachment does not match the manifest.</exception>
    public async Task<DownloadedDocument> DownloadAsync(string documentId, string directory, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        var first = await RetryAsync(async ct =>
        {
            // Only the package; each attachment is then fetched on its own, so that each can resume. (A hub
            // that predates package_only streams everything: reading stops after the package and the call is dropped.)
            using var call = Routing.DownloadDocument(new DownloadDocumentRequest { DocumentId = documentId, PackageOnly = true }, cancellationToken: ct);
            return await ReadPackageAsync(call.ResponseStream, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        var manifest = DocumentManifest.Parser.ParseFrom(first.Manifest);
        var files = new List<string>();
        long done = 0, total = manifest.Attachments.Sum(a => a.Size);
        foreach (var attachment in manifest.Attachments)
        {
            var path = Path.Combine(directory, SafeFileName(attachment.Name));
            File.Delete(path);
            await RetryAsync(async ct =>
            {
                await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                using var call = Routing.DownloadDocument(new DownloadDocumentRequest { DocumentId = documentId, AttachmentName = attachment.Name, Offset = file.Length }, cancellationToken: ct);
                await foreach (var part in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    if (part.PartCase != DownloadDocumentResponse.PartOneofCase.Chunk)
                    {
                        continue;
                    }

                    await file.WriteAsync(part.Chunk.Data.Memory, ct).ConfigureAwait(false);
                    progress?.Report(new TransferProgress(attachment.Name, file.Length, attachment.Size, done + file.Length, total));
                }

                return true;
            }, cancellationToken).ConfigureAwait(false);
            await CheckFileAsync(path, attachment, cancellationToken).ConfigureAwait(false);
            done += attachment.Size;
            files.Add(path);
        }

        return new DownloadedDocument(first, manifest, files);
    }

    /// <summary>Acknowledges a delivery (transport level).</summary>
    public async Task<AcknowledgeDeliveryResponse> AcknowledgeAsync(string deliveryId, AckOutcome outcome, string description = "", string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new AcknowledgeDeliveryRequest { RequestId = requestId ?? Guid.NewGuid().ToString("N"), DeliveryId = deliveryId, Outcome = outcome, Description = description };
        return await RetryAsync(async ct => await Routing.AcknowledgeDeliveryAsync(request, cancellationToken: ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs and reports a business status on a document.</summary>
    public async Task<ReportStatusResponse> ReportStatusAsync(StatusReport report, string? requestId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var signer = options.SigningCertificate ?? throw new InvalidOperationException("MeshClientOptions.SigningCertificate is required to report a status.");
        var bytes = report.ToByteArray();
        var request = new ReportStatusRequest
        {
            RequestId = requestId ?? Guid.NewGuid().ToString("N"),
            Status = ByteString.CopyFrom(bytes),
            StatusSignature = ByteString.CopyFrom(CmsSigning.SignDetached(bytes, signer)),
        };
        return await RetryAsync(async ct => await Routing.ReportStatusAsync(request, cancellationToken: ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A document's per-recipient timeline.</summary>
    public async Task<GetDocumentTraceResponse> TraceAsync(string documentId, CancellationToken cancellationToken = default) =>
        await RetryAsync(async ct => await Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = documentId }, cancellationToken: ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Checks a receipt offline: the hub's CMS signature over the exact receipt bytes, made by
    /// <paramref name="hubCertificate"/> (from SignatureService.GetSigningCertificate, kept by the adapter).
    /// </summary>
    /// <exception cref="CryptographicException">The signature does not verify or is not the hub's.</exception>
    public static Receipt VerifyReceipt(ReadOnlySpan<byte> receiptBytes, ReadOnlySpan<byte> receiptSignature, X509Certificate2 hubCertificate)
    {
        ArgumentNullException.ThrowIfNull(hubCertificate);
        using var signer = CmsSigning.VerifyDetached(receiptBytes, receiptSignature);
        if (!signer.RawData.AsSpan().SequenceEqual(hubCertificate.RawData))
        {
            throw new CryptographicException("The receipt was not signed by the hub's signing certificate.");
        }

        return Receipt.Parser.ParseFrom(receiptBytes);
    }

    /// <summary>
    /// Proves that the hub's audit log holds the leaf at <paramref name="leafIndex"/> (a receipt's
    /// <see cref="Receipt.AuditLeafIndex"/>): fetches the latest signed checkpoint, the entry and its
    /// inclusion proof, and verifies all three with <see cref="AuditVerifier"/>.
    /// </summary>
    /// <param name="leafIndex">The leaf to prove.</param>
    /// <param name="verifierKey">
    /// The log key to trust (<c>name+id+key</c>), obtained out of band. When null, the key the hub
    /// announces is used: that only shows the hub agrees with itself (trust on first use).
    /// </param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="leafIndex"/> is negative: the event was not recorded in the log.</exception>
    /// <exception cref="CryptographicException">The checkpoint, the entry or the proof does not verify, or the checkpoint does not cover the leaf.</exception>
    public async Task<VerifiedAuditLeaf> VerifyAuditLeafAsync(long leafIndex, string? verifierKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leafIndex);
        var checkpoint = await LatestCheckpointAsync(verifierKey, cancellationToken).ConfigureAwait(false);
        if (leafIndex >= checkpoint.TreeSize)
        {
            throw new CryptographicException($"Leaf {leafIndex} is not in the latest checkpoint (size {checkpoint.TreeSize}).");
        }

        var entries = await RetryAsync(async ct => await Audit.GetEntriesAsync(new GetEntriesRequest { Start = leafIndex, End = leafIndex + 1 }, cancellationToken: ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var entry = entries.Entries.SingleOrDefault(e => e.Index == leafIndex) ?? throw new CryptographicException($"The hub returned no entry {leafIndex}.");
        var leafHash = AuditVerifier.HashLeaf(entry.Data.Span);
        var proof = await RetryAsync(async ct => await Audit.GetInclusionProofAsync(new GetInclusionProofRequest { LeafIndex = leafIndex, TreeSize = checkpoint.TreeSize }, cancellationToken: ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var hashes = proof.Hashes.Select(h => h.ToByteArray()).ToList();
        if (!AuditVerifier.VerifyInclusion(leafIndex, checkpoint.TreeSize, leafHash, hashes, checkpoint.RootHash))
        {
            throw new CryptographicException($"The inclusion proof of leaf {leafIndex} does not lead to the checkpoint's root.");
        }

        return new VerifiedAuditLeaf(leafIndex, leafHash, checkpoint, hashes.Count, entry.Event);
    }

    /// <summary>
    /// Proves that the hub's audit log only grew since <paramref name="trusted"/> (a checkpoint the
    /// adapter verified and kept): fetches the latest signed checkpoint and a consistency proof
    /// between the two, and verifies both. Returns the latest checkpoint, to keep for next time.
    /// </summary>
    /// <param name="trusted">A checkpoint verified earlier.</param>
    /// <param name="verifierKey">The log key to trust; null: the key the hub announces (trust on first use).</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="CryptographicException">The latest checkpoint or the proof does not verify: the log was rewritten, or the hub lies.</exception>
    public async Task<AuditCheckpoint> VerifyAuditGrowthAsync(AuditCheckpoint trusted, string? verifierKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trusted);
        var latest = await LatestCheckpointAsync(verifierKey, cancellationToken).ConfigureAwait(false);
        if (latest.TreeSize < trusted.TreeSize)
        {
            throw new CryptographicException($"The log shrank from {trusted.TreeSize} to {latest.TreeSize} leaves.");
        }

        if (latest.TreeSize == trusted.TreeSize)
        {
            return CryptographicOperations.FixedTimeEquals(latest.RootHash, trusted.RootHash)
                ? latest
                : throw new CryptographicException($"Two checkpoints of {latest.TreeSize} leaves with different roots: the log forked.");
        }

        var proof = await RetryAsync(async ct => await Audit.GetConsistencyProofAsync(new GetConsistencyProofRequest { FirstTreeSize = trusted.TreeSize, SecondTreeSize = latest.TreeSize }, cancellationToken: ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (!AuditVerifier.VerifyConsistency(trusted.TreeSize, latest.TreeSize, trusted.RootHash, latest.RootHash, proof.Hashes.Select(h => h.ToByteArray()).ToList()))
        {
            throw new CryptographicException($"The log of {latest.TreeSize} leaves is not an extension of the trusted one of {trusted.TreeSize}.");
        }

        return latest;
    }

    /// <inheritdoc />
    public void Dispose() => channel.Dispose();

    private async Task<AuditCheckpoint> LatestCheckpointAsync(string? verifierKey, CancellationToken cancellationToken)
    {
        var response = await RetryAsync(async ct => await Audit.GetCheckpointAsync(new GetCheckpointRequest(), cancellationToken: ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return AuditVerifier.OpenCheckpoint(response.SignedCheckpoint, verifierKey ?? response.VerifierKey);
    }

    /// <summary>One SendDocument stream; each attachment from <paramref name="offsets"/> (staged at the hub), or all from 0.</summary>
    private async Task<SendDocumentResponse> SendOnceAsync(string requestId, DocumentManifest manifest, byte[] manifestBytes, byte[] signature, IReadOnlyList<OutgoingAttachment> attachments, IReadOnlyList<long>? offsets, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        using var call = Routing.SendDocument(cancellationToken: cancellationToken);

        // A hub that refuses mid-stream answers and stops reading: a write then waiting for HTTP/2 flow
        // control would wait for ever, so writing stops as soon as the answer is in.
        using var answered = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _ = call.ResponseAsync.ContinueWith(CancelQuietly, answered, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var writing = answered.Token;
        await call.RequestStream.WriteAsync(new SendDocumentRequest
        {
            Header = new SendDocumentHeader { RequestId = requestId, Manifest = ByteString.CopyFrom(manifestBytes), ManifestSignature = ByteString.CopyFrom(signature) },
        }, writing).ConfigureAwait(false);
        var buffer = new byte[Math.Clamp(options.ChunkSize, 16 * 1024, 1024 * 1024)];
        long StartOf(int i) => offsets is not null && offsets[i] > 0 && offsets[i] <= manifest.Attachments[i].Size ? offsets[i] : 0;
        long sent = Enumerable.Range(0, attachments.Count).Sum(StartOf), total = manifest.Attachments.Sum(a => a.Size);
        try
        {
            for (var i = 0; i < attachments.Count; i++)
            {
                var offset = StartOf(i);
                if (offset > 0 && offset == manifest.Attachments[i].Size)
                {
                    // Complete at the hub: left out of the stream.
                    continue;
                }

                await using var stream = attachments[i].Open();
                await SkipAsync(stream, offset, buffer, cancellationToken).ConfigureAwait(false);
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await call.RequestStream.WriteAsync(new SendDocumentRequest
                    {
                        Chunk = new AttachmentChunk { AttachmentIndex = i, Offset = offset, Data = ByteString.CopyFrom(buffer, 0, read) },
                    }, writing).ConfigureAwait(false);
                    offset += read;
                    sent += read;
                    progress?.Report(new TransferProgress(attachments[i].Name, offset, manifest.Attachments[i].Size, sent, total));
                }
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The hub may end the call early with its verdict (a refusal), or the connection dropped
            // (IOException from the HTTP/2 stream): either way the call's status says which, and a
            // transient one is retried by the caller with the same request id.
        }

        return await call.ResponseAsync.ConfigureAwait(false);
    }

    private static void CancelQuietly(Task answer, object? source)
    {
        try
        {
            ((CancellationTokenSource)source!).Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The send finished first.
        }
    }

    private static async Task SkipAsync(Stream stream, long count, byte[] buffer, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return;
        }

        if (stream.CanSeek)
        {
            stream.Seek(count, SeekOrigin.Begin);
            return;
        }

        while (count > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new InvalidDataException("The attachment is shorter than when its digest was computed.");
            }

            count -= read;
        }
    }

    private static async Task<DocumentPackage> ReadPackageAsync(IAsyncStreamReader<DownloadDocumentResponse> stream, CancellationToken cancellationToken)
    {
        while (await stream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            if (stream.Current.PartCase == DownloadDocumentResponse.PartOneofCase.Package)
            {
                return stream.Current.Package;
            }
        }

        throw new InvalidDataException("The hub sent no package.");
    }

    private static async Task<(byte[] Digest, long Size)> DigestAsync(OutgoingAttachment attachment, CancellationToken cancellationToken)
    {
        await using var stream = attachment.Open();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long size = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            size += read;
        }

        return (hash.GetHashAndReset(), size);
    }

    private static async Task CheckFileAsync(string path, AttachmentDescriptor expected, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        if (file.Length != expected.Size)
        {
            throw new InvalidDataException($"{expected.Name}: {file.Length} bytes received, the manifest says {expected.Size}.");
        }

        var digest = await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
        if (!digest.AsSpan().SequenceEqual(expected.Sha256.Span))
        {
            throw new InvalidDataException($"{expected.Name}: SHA-256 does not match the signed manifest.");
        }
    }

    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (IsTransient(ex) && attempt < options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff(attempt - 1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 8)), 10_000));

    /// <summary>Whether a failure is worth retrying: the hub or the network, not a refusal.</summary>
    public static bool IsTransient(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.StatusCode switch
        {
            Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded => true,
            // A reset stream surfaces as INTERNAL/UNKNOWN without Mesh's ErrorInfo; a Mesh INTERNAL carries one.
            Grpc.Core.StatusCode.Internal or Grpc.Core.StatusCode.Unknown => exception.GetRpcStatus()?.GetDetail<ErrorInfo>() is null,
            _ => false,
        };
    }

    /// <summary>Where a send resumes: its response when already accepted, else the offset of each attachment.</summary>
    private sealed record UploadResume(SendDocumentResponse? Accepted, IReadOnlyList<long>? Offsets);

    private static string SafeFileName(string name)
    {
        var file = Path.GetFileName(name);
        foreach (var c in Path.GetInvalidFileNameChars())
        {
            file = file.Replace(c, '_');
        }

        return string.IsNullOrWhiteSpace(file) || file is "." or ".." ? "attachment" : file;
    }
}
