using System.Diagnostics;
using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Agencies;
using Mesh.Auditing;
using Mesh.Contracts.Routing.V1;
using Mesh.Errors;
using Mesh.Events;
using Mesh.Identity;
using Mesh.Routing.Domain;
using Mesh.Signing;
using Mesh.State;
using Microsoft.Extensions.Options;

namespace Mesh.Routing.Infrastructure;

/// <summary>
/// The send path (DESIGN.md "A send, end to end"): authority and signature first, header and
/// recipient rules, attachments streamed into storage, then one transaction that makes the
/// document, its deliveries and inbox entries visible together; then audit, receipt, events.
/// A refusal is audited and leaves nothing visible (blobs written for a refused send are
/// unreferenced content-addressed data).
/// </summary>
internal sealed partial class DocumentExchange(
    IStateStore store,
    ISignatureVerifier verifier,
    IHubSigner signer,
    IAgencyDirectory agencies,
    ICertificateDirectory certificates,
    IAuditTrail audit,
    IEventBus bus,
    InboxWriter inbox,
    UploadStaging uploads,
    UnfinishedReceipts finishing,
    TimeProvider time,
    IOptions<RoutingOptions> options,
    ILogger<DocumentExchange> logger)
{
    public const string Source = "/mesh/routing";
    private readonly RoutingOptions settings = options.Value;
    private readonly DeadlineRules deadlines = new(WorkingCalendar.From(options.Value.Calendar), options.Value.UrgentAllowance);

    /// <summary>Runs one send. <paramref name="nextChunk"/> yields the chunks after the header, null at the end.</summary>
    public async Task<SendDocumentResponse> SendAsync(string caller, SendDocumentHeader? header, Func<CancellationToken, ValueTask<AttachmentChunk?>> nextChunk, CancellationToken cancellationToken)
    {
        using var activity = RoutingTelemetry.ActivitySource.StartActivity("SendDocument");
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await SendCoreAsync(caller, header, nextChunk, cancellationToken).ConfigureAwait(false);
            RoutingTelemetry.SendDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            return response;
        }
        catch (MeshException e)
        {
            RoutingTelemetry.DocumentsRefused.Add(1, new KeyValuePair<string, object?>("reason", e.Reason));
            await RecordRefusalAsync(e.Kind == ErrorKind.PermissionDenied ? AuditEventTypes.AuthorizationFailed : AuditEventTypes.DocumentRefused, caller, e, "", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<SendDocumentResponse> SendCoreAsync(string caller, SendDocumentHeader? header, Func<CancellationToken, ValueTask<AttachmentChunk?>> nextChunk, CancellationToken cancellationToken)
    {
        if (header is null || header.Manifest.IsEmpty)
        {
            throw MeshException.Invalid(RoutingReasons.ManifestRequired, "header.manifest", "the first message carries the signed manifest");
        }

        if (string.IsNullOrEmpty(header.RequestId) || header.RequestId.Length > 128)
        {
            throw MeshException.Invalid(RoutingReasons.RequestIdInvalid, "header.request_id", "must be 1 to 128 characters");
        }

        DocumentManifest manifest;
        try
        {
            manifest = DocumentManifest.Parser.ParseFrom(header.Manifest);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw MeshException.Invalid(RoutingReasons.ManifestMalformed, "header.manifest", $"not a serialized DocumentManifest: {e.Message}");
        }

        if (manifest.Header is null)
        {
            throw MeshException.Invalid(RoutingReasons.ManifestMalformed, "header.manifest", "the manifest has no header");
        }

        var sender = ManifestRules.SenderOf(manifest, caller);
        var stage = SendStage.Start();

        // The signature is checked before any chunk is read: unsigned or forged sends cost one verification.
        await VerifySignatureAsync(header.Manifest.Memory, header.ManifestSignature.Memory, sender, "header.manifest_signature", cancellationToken).ConfigureAwait(false);

        stage.End("manifest_signature");
        var manifestSha = Convert.ToHexStringLower(SHA256.HashData(header.Manifest.Span));
        var requestKey = RoutingKeys.Request(sender, "send", header.RequestId);
        if (await ReplayAsync(requestKey, manifestSha, nextChunk, cancellationToken).ConfigureAwait(false) is { } replay)
        {
            return replay;
        }

        var verifyPdf = settings.PdfSignatures != PdfSignaturePolicy.Off;
        ManifestRules.Check(manifest, new ManifestLimits(settings.MaxAttachments, settings.MaxAttachmentSize, settings.MaxTotalSize, settings.MaxMainDocumentSize, verifyPdf));
        var h = manifest.Header;
        await CheckRecipientsAsync(h, cancellationToken).ConfigureAwait(false);
        var target = await ResolveTargetAsync(h, sender, cancellationToken).ConfigureAwait(false);
        var date = ManifestRules.ToDate(h.PromulgationInfo.PromulgationDate)!.Value;
        var codeKey = RoutingKeys.Code(sender, date.Year, h.Code.CodeNumber, h.Code.CodeNotation);
        if (await store.GetAsync(codeKey, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw DuplicateCode(h);
        }

        stage.End("checks");
        var main = await uploads.ReceiveAsync(sender, header.RequestId, manifestSha, manifest, verifyPdf, nextChunk, cancellationToken).ConfigureAwait(false);
        stage.End("attachments");
        var signingTime = main is null ? null : await VerifyPdfAsync(main, sender, cancellationToken).ConfigureAwait(false);
        stage.End("pdf_signatures");
        var now = time.GetUtcNow();
        var late = deadlines.IsLateSend(date, ManifestRules.UrgencyOf(h.OtherInfo?.Priority ?? Priority.Unspecified), signingTime, now);
        var document = NewDocument(manifest, header, manifestSha, sender, now, late, target);
        await CommitAsync(document, target, codeKey, requestKey, cancellationToken).ConfigureAwait(false);
        stage.End("commit");

        // The commit is durable and has woken this process's watchers. The sender is answered once
        // the acceptance is audited and the receipt signed; the events and the stored receipt follow.
        var (receipt, receiptRecord) = await CompleteReceiptAsync(document, cancellationToken, justCommitted: true).ConfigureAwait(false);
        stage.End("receipt");
        RoutingTelemetry.DocumentsAccepted.Add(1);
        if (late)
        {
            RoutingTelemetry.DocumentsLate.Add(1);
            LogLate(logger, document.Id, document.BusinessDocumentId);
        }

        return new SendDocumentResponse { Receipt = receipt, ReceiptBytes = ByteString.CopyFrom(receiptRecord.ReceiptBytes), ReceiptSignature = ByteString.CopyFrom(receiptRecord.Signature) };
    }

    /// <summary>Verifies a detached signature bound to <paramref name="organId"/>; throws SIGNATURE_REQUIRED, SIGNATURE_INVALID or SIGNER_NOT_BOUND.</summary>
    public async ValueTask VerifySignatureAsync(ReadOnlyMemory<byte> content, ReadOnlyMemory<byte> signature, string organId, string field, CancellationToken cancellationToken)
    {
        if (signature.IsEmpty)
        {
            throw MeshException.Invalid(RoutingReasons.SignatureRequired, field, "a detached CMS signature by the agency's document-signing certificate is required (TT 41/2017)");
        }

        var check = await verifier.VerifyDetachedAsync(content, signature, organId, cancellationToken).ConfigureAwait(false);
        if (check.Passed)
        {
            return;
        }

        if (check.SubIndication == "SIGNER_NOT_BOUND")
        {
            throw MeshException.Denied(RoutingReasons.SignerNotBound, $"The signer certificate is not bound to {organId} for document signing: {check.Reason}");
        }

        var refusal = MeshException.Invalid(RoutingReasons.SignatureInvalid, field, $"{check.Indication}/{check.SubIndication}: {check.Reason}");
        refusal.Metadata["sub_indication"] = check.SubIndication;
        throw refusal;
    }

    private async ValueTask<DateTimeOffset?> VerifyPdfAsync(byte[] pdf, string sender, CancellationToken cancellationToken)
    {
        // Publicly visible, so the verifier reads the array in place instead of copying it.
        using var stream = new MemoryStream(pdf, 0, pdf.Length, writable: false, publiclyVisible: true);
        var checks = await verifier.VerifyPdfAsync(stream, cancellationToken).ConfigureAwait(false);
        if (settings.PdfSignatures is PdfSignaturePolicy.Required or PdfSignaturePolicy.PersonAndAgency)
        {
            if (checks.Count == 0)
            {
                throw MeshException.Precondition(RoutingReasons.PdfSignatureMissing, "The main document carries no digital signature (TT 41/2017, NĐ 30 Art. 5).");
            }

            if (checks.FirstOrDefault(c => !c.Passed) is { } failed)
            {
                var refusal = MeshException.Precondition(RoutingReasons.PdfSignatureInvalid, $"A signature of the main document is not valid: {failed.Indication}/{failed.SubIndication}: {failed.Reason}");
                refusal.Metadata["sub_indication"] = failed.SubIndication;
                throw refusal;
            }

            if (settings.PdfSignatures == PdfSignaturePolicy.PersonAndAgency)
            {
                await CheckPersonAndAgencyAsync(checks, sender, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (checks.Count == 0 || checks.Any(c => !c.Passed))
        {
            LogPdfReported(logger, checks.Count);
        }

        return checks.Where(c => c.Passed && c.SigningTime is not null).Select(c => c.SigningTime).Max();
    }

    /// <summary>
    /// NĐ 30 Art. 5: the agency's signature (a certificate bound to the sender for document signing)
    /// and the competent person's (any other valid certificate) must both be on the main document.
    /// </summary>
    private async ValueTask CheckPersonAndAgencyAsync(IReadOnlyList<SignatureCheck> checks, string sender, CancellationToken cancellationToken)
    {
        var agency = false;
        var person = false;
        foreach (var check in checks)
        {
            var binding = await certificates.ResolveAsync(check.SignerThumbprint.ToLowerInvariant(), cancellationToken).ConfigureAwait(false);
            if (binding is { IsClientTls: false } && string.Equals(binding.Caller.OrganId, sender, StringComparison.Ordinal))
            {
                agency = true;
            }
            else
            {
                person = true;
            }
        }

        if (!agency)
        {
            throw MeshException.Precondition(RoutingReasons.PdfAgencySignatureMissing, $"The main document carries no signature by a document-signing certificate bound to {sender} (NĐ 30 Art. 5, 17.2).");
        }

        if (!person)
        {
            throw MeshException.Precondition(RoutingReasons.PdfPersonalSignatureMissing, "The main document carries no signature of the competent person besides the agency's (NĐ 30 Art. 5, 13.7).");
        }
    }

    private async ValueTask CheckRecipientsAsync(DocumentHeader h, CancellationToken cancellationToken)
    {
        foreach (var to in h.To)
        {
            var agency = await agencies.FindAsync(to.OrganId, cancellationToken).ConfigureAwait(false);
            if (agency is null)
            {
                throw MeshException.NotFound(RoutingReasons.RecipientUnknown, "agency", to.OrganId);
            }

            if (!agency.IsActive)
            {
                throw MeshException.Precondition(RoutingReasons.RecipientNotActive, $"Recipient {to.OrganId} is suspended or retired.");
            }
        }
    }

    private async ValueTask<(DocumentRecord Record, string ETag)?> ResolveTargetAsync(DocumentHeader h, string sender, CancellationToken cancellationToken)
    {
        var type = h.Business?.Type ?? BusinessType.Unspecified;
        if (type is BusinessType.Unspecified or BusinessType.New)
        {
            return null;
        }

        var found = await FindDocumentAsync(h.Business!.TargetDocumentId, cancellationToken).ConfigureAwait(false)
            ?? throw MeshException.NotFound(RoutingReasons.TargetNotFound, "document", h.Business.TargetDocumentId);
        var (target, _) = found;
        if (!string.Equals(target.Sender, sender, StringComparison.Ordinal))
        {
            throw MeshException.Denied(RoutingReasons.TargetNotOwned, $"Document {target.Id} was sent by {target.Sender}; only its sender may revoke, update or replace it.");
        }

        if (target.RevokedBy.Length > 0)
        {
            throw MeshException.Precondition(RoutingReasons.TargetRevoked, $"Document {target.Id} was revoked by {target.RevokedBy}.");
        }

        var outsiders = h.To.Select(t => t.OrganId).Where(r => !target.Recipients.Contains(r, StringComparer.Ordinal)).ToList();
        if (outsiders.Count > 0)
        {
            throw MeshException.Precondition(RoutingReasons.TargetRecipientsMismatch, $"{string.Join(", ", outsiders)} did not receive document {target.Id}.");
        }

        return found;
    }

    /// <summary>Finds a document by hub id or business DocumentId.</summary>
    public async ValueTask<(DocumentRecord Record, string ETag)?> FindDocumentAsync(string id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 200)
        {
            return null;
        }

        var item = await store.GetAsync(RoutingKeys.Document(id), cancellationToken).ConfigureAwait(false);
        if (item is null && id.Contains(',', StringComparison.Ordinal))
        {
            var index = await store.GetAsync(RoutingKeys.BusinessId(id), cancellationToken).ConfigureAwait(false);
            if (index is not null)
            {
                item = await store.GetAsync(RoutingKeys.Document(System.Text.Encoding.UTF8.GetString(index.Value.Span)), cancellationToken).ConfigureAwait(false);
            }
        }

        return item is null ? null : (Stored.Read(item, RoutingJson.Default.DocumentRecord), item.ETag);
    }

    private static DocumentRecord NewDocument(DocumentManifest manifest, SendDocumentHeader header, string manifestSha, string sender, DateTimeOffset now, bool late, (DocumentRecord Record, string ETag)? target)
    {
        var h = manifest.Header;
        return new DocumentRecord
        {
            Id = Guid.CreateVersion7(now).ToString("N"),
            BusinessDocumentId = h.DocumentId,
            Sender = sender,
            Recipients = [.. h.To.Select(t => t.OrganId)],
            Manifest = header.Manifest.ToByteArray(),
            ManifestSignature = header.ManifestSignature.ToByteArray(),
            ManifestSha256 = manifestSha,
            AcceptTime = now,
            Late = late,
            BusinessType = (int)(h.Business?.Type is null or BusinessType.Unspecified ? BusinessType.New : h.Business.Type),
            TargetDocumentId = target?.Record.Id ?? "",
            Attachments = [.. manifest.Attachments.Select(a => new StoredAttachment(a.Name, a.MediaType, a.Size, Convert.ToHexStringLower(a.Sha256.Span), (int)a.Role, a.ContentId, a.Description))],
            Subject = h.Subject,
            Code = $"{h.Code.CodeNumber}/{h.Code.CodeNotation}",
            TypeName = h.DocumentType.TypeName,
            Priority = (int)(h.OtherInfo?.Priority ?? Priority.Unspecified),
            RequestId = header.RequestId,
        };
    }

    private async Task CommitAsync(DocumentRecord document, (DocumentRecord Record, string ETag)? target, string codeKey, string requestKey, CancellationToken cancellationToken)
    {
        var now = document.AcceptTime;
        var due = deadlines.AcknowledgeBy(now);
        var operations = new List<StateOperation>
        {
            StateOperation.Upsert(RoutingKeys.Document(document.Id), Stored.Write(document, RoutingJson.Default.DocumentRecord), ETag.Absent),
            StateOperation.Upsert(codeKey, System.Text.Encoding.UTF8.GetBytes(document.Id), ETag.Absent),
            StateOperation.Upsert(requestKey, Stored.Write(new RequestRecord(document.ManifestSha256, document.Id), RoutingJson.Default.RequestRecord), ETag.Absent),
            StateOperation.Upsert(RoutingKeys.BusinessId(document.BusinessDocumentId), System.Text.Encoding.UTF8.GetBytes(document.Id), ETag.Absent),
            StateOperation.Upsert(RoutingKeys.Outbox(document.Sender, document.Id), ReadOnlyMemory<byte>.Empty, ETag.Absent),
            StateOperation.Upsert(RoutingKeys.Unfinished(document.Id), RoutingKeys.UnfinishedSince(now), ETag.Absent),
        };
        var items = new List<PendingInboxItem>();
        foreach (var recipient in document.Recipients)
        {
            var events = new List<TraceEntry>
            {
                new(now, "accepted", document.Sender, document.BusinessDocumentId),
                new(now, "delivery.created", "", ""),
            };
            if (document.Late)
            {
                events.Add(new TraceEntry(now, "flag.late", "", "sent after the signing day's next working morning, or an urgent document not sent promptly"));
            }

            var delivery = new DeliveryRecord
            {
                Id = RoutingKeys.DeliveryId(document.Id, recipient),
                DocumentId = document.Id,
                Sender = document.Sender,
                Recipient = recipient,
                CreateTime = now,
                UpdateTime = now,
                AcknowledgeBy = due,
                Events = events,
            };
            var deliveryKey = RoutingKeys.Delivery(document.Id, recipient);
            operations.Add(StateOperation.Upsert(deliveryKey, Stored.Write(delivery, RoutingJson.Default.DeliveryRecord), ETag.Absent));
            operations.Add(StateOperation.Upsert(RoutingKeys.Due(due, document.Id, recipient), Stored.Write(new DueEntry(deliveryKey), RoutingJson.Default.DueEntry), ETag.Absent));
            items.Add(new PendingInboxItem(recipient, seq => new InboxEntry(seq, (int)InboxItemKind.Document, delivery.Id, document.Id, document.Sender, document.BusinessType, now)));
        }

        if (target is { } t)
        {
            var changed = t.Record with
            {
                RevokedBy = document.BusinessType == (int)BusinessType.Revoke ? document.Id : t.Record.RevokedBy,
                SupersededBy = document.BusinessType is (int)BusinessType.Update or (int)BusinessType.Replace ? document.Id : t.Record.SupersededBy,
                ChangedBy = [.. t.Record.ChangedBy, document.Id],
            };
            operations.Add(StateOperation.Upsert(RoutingKeys.Document(t.Record.Id), Stored.Write(changed, RoutingJson.Default.DocumentRecord), t.ETag));
        }

        try
        {
            await inbox.CommitAsync(operations, items, cancellationToken).ConfigureAwait(false);
        }
        catch (ETagMismatchException e) when (e.Key == codeKey)
        {
            throw DuplicateCode(document);
        }
        catch (ETagMismatchException e) when (e.Key == requestKey)
        {
            throw MeshException.Precondition(RoutingReasons.RequestIdReused, $"Request id '{document.RequestId}' is being used by a concurrent send; retry it to get its receipt.");
        }
    }

    private async ValueTask<SendDocumentResponse?> ReplayAsync(string requestKey, string manifestSha, Func<CancellationToken, ValueTask<AttachmentChunk?>> nextChunk, CancellationToken cancellationToken)
    {
        var item = await store.GetAsync(requestKey, cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return null;
        }

        var request = Stored.Read(item, RoutingJson.Default.RequestRecord);
        if (!string.Equals(request.Fingerprint, manifestSha, StringComparison.Ordinal))
        {
            throw MeshException.Precondition(RoutingReasons.RequestIdReused, "This request id was used for another manifest.");
        }

        // Same send again (a retry after a lost response): the client still streams its chunks; take and drop them.
        while (await nextChunk(cancellationToken).ConfigureAwait(false) is not null)
        {
        }

        var document = await FindDocumentAsync(request.ResultId, cancellationToken).ConfigureAwait(false)
            ?? throw new MeshException(ErrorKind.Internal, "DOCUMENT_MISSING", $"Request record points at missing document {request.ResultId}.");
        var (receipt, record) = await CompleteReceiptAsync(document.Record, cancellationToken).ConfigureAwait(false);
        return new SendDocumentResponse { Receipt = receipt, ReceiptBytes = ByteString.CopyFrom(record.ReceiptBytes), ReceiptSignature = ByteString.CopyFrom(record.Signature) };
    }

    /// <summary>
    /// The document's receipt, made once: audit DOCUMENT_ACCEPTED (its leaf index goes into the
    /// receipt) and the hub's signature; then the document is <em>finished</em>: the send's events —
    /// one delivery.created per recipient, document.accepted with the receipt, document.revoked for a
    /// notice — published in one outbox write, then the receipt stored create-only in the transaction
    /// that removes the document's unfinished marker (written with the document).
    /// A send (<paramref name="justCommitted"/>) is answered as soon as its receipt is signed, while the
    /// document is being finished: what the receipt states — the document and its audit entry — is
    /// durable already, and should the process stop before the receipt is stored, the receipt made
    /// again (by a retry, or by <see cref="FinishUnfinishedAsync"/>) has the same bytes (the same audit
    /// leaf, through its idempotency key) under a fresh signature. Every other caller gets the stored
    /// receipt, or waits for the one being finished in this process: a retry or a download here sees
    /// the very receipt the sender got. Should another process store a receipt first, that one is kept;
    /// both are valid hub-signed receipts of the same acceptance.
    /// </summary>
    public async ValueTask<(Receipt Receipt, ReceiptRecord Record)> CompleteReceiptAsync(DocumentRecord document, CancellationToken cancellationToken, bool justCommitted = false)
    {
        if (finishing.Find(document.Id) is { } inFlight)
        {
            var finished = await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            return (Receipt.Parser.ParseFrom(finished.ReceiptBytes), finished);
        }

        var existing = justCommitted ? null : await store.GetAsync(RoutingKeys.Receipt(document.Id), cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            var stored = Stored.Read(existing, RoutingJson.Default.ReceiptRecord);
            return (Receipt.Parser.ParseFrom(stored.ReceiptBytes), stored);
        }

        var leaf = await RecordAuditAsync(
            new AuditRecord(AuditEventTypes.DocumentAccepted, document.AcceptTime, document.Sender)
            {
                DocumentId = document.Id,
                BusinessDocumentId = document.BusinessDocumentId,
                Counterparts = document.Recipients,
                Digests = [document.ManifestSha256, .. document.Attachments.Select(a => a.Sha256)],
                Detail = document.Late ? "late" : "",

                // A receipt made again after a crash before it was stored gets the same leaf, not a second entry.
                IdempotencyKey = AuditEventTypes.DocumentAccepted + "/" + document.Id,
            },
            cancellationToken).ConfigureAwait(false);
        var receipt = BuildReceipt(document, leaf);
        var bytes = receipt.ToByteArray();
        var signature = await signer.SignAsync(bytes, "receipt", cancellationToken).ConfigureAwait(false);
        var made = new ReceiptRecord(bytes, signature);
        var finish = finishing.Start(document.Id, () => FinishAsync(document, made));
        if (justCommitted)
        {
            return (receipt, made);
        }

        var kept = await finish.WaitAsync(cancellationToken).ConfigureAwait(false);
        return ReferenceEquals(kept, made) ? (receipt, made) : (Receipt.Parser.ParseFrom(kept.ReceiptBytes), kept);
    }

    /// <summary>
    /// Finishes a document whose unfinished marker outlived the process that accepted it (see
    /// <see cref="ReceiptSweeper"/>): makes and stores its receipt and publishes its events, or, when the
    /// receipt was stored but the events could not be published, publishes them again (consumers are
    /// idempotent: the events keep their ids). Returns false when the document is being finished here already.
    /// </summary>
    public async Task<bool> FinishUnfinishedAsync(string documentId, CancellationToken cancellationToken)
    {
        if (finishing.Find(documentId) is not null)
        {
            return false;
        }

        if (await FindDocumentAsync(documentId, cancellationToken).ConfigureAwait(false) is { } document)
        {
            if (await store.GetAsync(RoutingKeys.Receipt(documentId), cancellationToken).ConfigureAwait(false) is not { } receipt)
            {
                // Makes, stores and publishes: the marker goes with the stored receipt.
                await CompleteReceiptAsync(document.Record, cancellationToken).ConfigureAwait(false);
                return true;
            }

            if (!await PublishAllAsync(SendEvents(document.Record, Stored.Read(receipt, RoutingJson.Default.ReceiptRecord).ReceiptBytes), cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        await store.DeleteAsync(RoutingKeys.Unfinished(documentId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<ReceiptRecord> FinishAsync(DocumentRecord document, ReceiptRecord made)
    {
        // Not the caller's token: once a receipt is handed out, finishing its document is not the caller's to cancel.
        var published = await PublishAllAsync(SendEvents(document, made.ReceiptBytes), CancellationToken.None).ConfigureAwait(false);
        var key = RoutingKeys.Receipt(document.Id);
        var marker = RoutingKeys.Unfinished(document.Id);
        var receipt = StateOperation.Upsert(key, Stored.Write(made, RoutingJson.Default.ReceiptRecord), ETag.Absent);
        try
        {
            // Events that could not be published keep the marker: the sweep publishes them again.
            await store.TransactAsync(published ? [receipt, StateOperation.Delete(marker)] : [receipt], CancellationToken.None).ConfigureAwait(false);
            return made;
        }
        catch (ETagMismatchException)
        {
            var existing = await store.GetAsync(key, CancellationToken.None).ConfigureAwait(false)
                ?? throw new MeshException(ErrorKind.Internal, "RECEIPT_MISSING", $"The receipt of {document.Id} vanished.");
            if (published)
            {
                await store.DeleteAsync(marker, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }

            return Stored.Read(existing, RoutingJson.Default.ReceiptRecord);
        }
    }

    private static Receipt BuildReceipt(DocumentRecord d, long leaf) => new()
    {
        DocumentId = d.Id,
        BusinessDocumentId = d.BusinessDocumentId,
        Sender = d.Sender,
        Recipients = { d.Recipients },
        ManifestSha256 = ByteString.CopyFrom(Convert.FromHexString(d.ManifestSha256)),
        Attachments = { d.Attachments.Select(a => new AttachmentDigest { Name = a.Name, Sha256 = ByteString.CopyFrom(Convert.FromHexString(a.Sha256)), Size = a.Size }) },
        AcceptTime = Timestamp.FromDateTimeOffset(d.AcceptTime),
        AuditLeafIndex = leaf,
        RequestId = d.RequestId,
        Late = d.Late,
        BusinessType = (BusinessType)d.BusinessType,
    };

    private List<CloudEvent> SendEvents(DocumentRecord document, byte[] receipt)
    {
        var summary = RoutingViews.Summary(document);
        var events = new List<CloudEvent>(document.Recipients.Count + 2);
        foreach (var recipient in document.Recipients)
        {
            var item = new InboxItem { Kind = InboxItemKind.Document, ItemId = RoutingKeys.DeliveryId(document.Id, recipient), Document = summary, DeliveryState = Contracts.Routing.V1.DeliveryState.Pending };
            events.Add(NewEvent(RoutingTopics.DeliveryCreated, item.ItemId, recipient, item.ToByteArray()));
        }

        if (document.BusinessType != (int)BusinessType.New)
        {
            events.Add(NewEvent(RoutingTopics.DocumentRevoked, document.Id, document.TargetDocumentId, summary.ToByteArray()));
        }

        events.Add(NewEvent(RoutingTopics.DocumentAccepted, document.Id, document.Id, receipt));
        return events;
    }

    private CloudEvent NewEvent(string topic, string id, string subject, byte[] data) =>
        new($"{topic}:{id}", Source, "mesh." + topic, topic, data)
        {
            Time = time.GetUtcNow(),
            Subject = subject,
            TraceParent = Activity.Current?.Id,
            TraceState = Activity.Current?.TraceStateString,
        };

    /// <summary>Publishes one event; the stored state is already committed, so a failing bus is logged, not fatal.</summary>
    public Task PublishAsync(string topic, string id, string subject, byte[] data, CancellationToken cancellationToken) =>
        PublishAllAsync([NewEvent(topic, id, subject, data)], cancellationToken);

    /// <summary>Publishes events together; the stored state is already committed, so a failing bus is logged, not fatal (false).</summary>
    private async Task<bool> PublishAllAsync(List<CloudEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            if (events.Count == 1)
            {
                await bus.PublishAsync(events[0], cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await bus.PublishAllAsync(events, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception e) when (e is MeshException or IOException or InvalidOperationException)
        {
            LogPublishFailed(logger, e, events[0].Topic, string.Join(", ", events.Select(c => c.Id)));
            return false;
        }
    }

    /// <summary>Records an audit event; -1 when the log could not be reached (the receipt says so).</summary>
    public async ValueTask<long> RecordAuditAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        try
        {
            return await audit.RecordAsync(record with { TraceId = Activity.Current?.TraceId.ToHexString() ?? "" }, cancellationToken).ConfigureAwait(false);
        }
        catch (MeshException e)
        {
            LogAuditFailed(logger, e, record.Type);
            return -1;
        }
    }

    /// <summary>Audits a refusal.</summary>
    public ValueTask<long> RecordRefusalAsync(string type, string actor, MeshException refusal, string documentId, CancellationToken cancellationToken) =>
        RecordAuditAsync(new AuditRecord(type, time.GetUtcNow(), actor) { Outcome = refusal.Reason, DocumentId = documentId, Detail = Truncate(refusal.Message) }, cancellationToken);

    private static string Truncate(string value) => value.Length <= 1000 ? value : value[..1000];

    private static MeshException DuplicateCode(DocumentHeader h) =>
        MeshException.AlreadyExists(RoutingReasons.DuplicateCode, "code", $"{h.From.OrganId} {h.PromulgationInfo.PromulgationDate.Year} {h.Code.CodeNumber}/{h.Code.CodeNotation}");

    private static MeshException DuplicateCode(DocumentRecord d) =>
        MeshException.AlreadyExists(RoutingReasons.DuplicateCode, "code", $"{d.Sender} {d.Code}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Document {DocumentId} ({BusinessDocumentId}) was sent late")]
    private static partial void LogLate(ILogger logger, string documentId, string businessDocumentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Main document signatures not valid ({Count} found); accepted because Mesh:Routing:PdfSignatures is Reported")]
    private static partial void LogPdfReported(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Publishing {Topic} {Id} failed; stored state is committed")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string topic, string id);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit record {Type} could not be written")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string type);
}

/// <summary>Topics the routing service publishes.</summary>
public static class RoutingTopics
{
    public const string DocumentAccepted = "routing.document.accepted";
    public const string DeliveryCreated = "routing.delivery.created";
    public const string DeliveryAcknowledged = "routing.delivery.acknowledged";
    public const string StatusReported = "routing.status.reported";
    public const string DocumentRevoked = "routing.document.revoked";
    public const string DeadlineOverdue = "routing.deadline.overdue";
}
