using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Auditing;
using Mesh.Contracts.Routing.V1;
using Mesh.Errors;
using Mesh.Routing.Domain;
using Mesh.State;
using Mesh.Storage.Domain;
using Microsoft.Extensions.Options;
using DomainAck = Mesh.Routing.Domain.AckOutcome;
using DomainState = Mesh.Routing.Domain.DeliveryState;

namespace Mesh.Routing.Infrastructure;

/// <summary>The receiving side: inbox, watch, download, acknowledgement, statuses and traces.</summary>
internal sealed partial class DeliveryOperations(
    IStateStore store,
    IBlobStorage blobs,
    DocumentExchange exchange,
    InboxWriter inbox,
    InboxNotifier notifier,
    TimeProvider time,
    IOptions<RoutingOptions> options)
{
    private const int MaxRetries = 8;

    /// <summary>One page of the caller's inbox, oldest first.</summary>
    public async Task<ListInboxResponse> ListAsync(string caller, ListInboxRequest request, CancellationToken cancellationToken)
    {
        var pageSize = request.PageSize is <= 0 ? 100 : Math.Min(request.PageSize, 1000);
        long after = 0;
        if (request.PageToken.Length > 0 && (!long.TryParse(request.PageToken, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            throw MeshException.Invalid(RoutingReasons.PageTokenInvalid, "page_token", "is not a token from ListInbox");
        }

        if (request.Sender.Length > 0 && !Mesh.Domain.OrganId.TryParse(request.Sender, out _, out var problem))
        {
            throw MeshException.Invalid(RoutingReasons.HeaderInvalid, "sender", problem);
        }

        var start = request.StartTime?.ToDateTimeOffset();
        var end = request.EndTime?.ToDateTimeOffset();
        bool Matches(InboxEntry e) =>
            (request.Kind == InboxItemKind.Unspecified || e.Kind == (int)request.Kind)
            && (request.Sender.Length == 0 || e.Sender == request.Sender)
            && (request.BusinessType == BusinessType.Unspecified || e.BusinessType == (int)request.BusinessType)
            && (start is null || e.CreateTime >= start)
            && (end is null || e.CreateTime < end);

        var response = new ListInboxResponse();
        var afterKey = after == 0 ? null : RoutingKeys.Inbox(caller, after);
        while (response.Items.Count < pageSize)
        {
            var batch = await store.ScanAsync(RoutingKeys.InboxPrefix(caller), afterKey, pageSize * 2, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return response;
            }

            var entries = batch.Select(i => Stored.Read(i, RoutingJson.Default.InboxEntry)).ToList();
            var built = await BuildAsync(entries.Where(Matches).ToList(), cancellationToken).ConfigureAwait(false);
            foreach (var item in built)
            {
                if (request.State != Contracts.Routing.V1.DeliveryState.Unspecified && (item.Kind != InboxItemKind.Document || item.DeliveryState != request.State))
                {
                    continue;
                }

                response.Items.Add(item);
                if (response.Items.Count == pageSize)
                {
                    response.NextPageToken = item.Cursor;
                    return response;
                }
            }

            if (batch.Count < pageSize * 2)
            {
                return response;
            }

            afterKey = batch[^1].Key;
        }

        return response;
    }

    /// <summary>Streams the caller's inbox after <paramref name="cursor"/>, then new items as they arrive, with heartbeats.</summary>
    public async Task WatchAsync(string caller, string cursor, InboxItemKind kind, Func<WatchInboxResponse, Task> write, CancellationToken cancellationToken)
    {
        long after = 0;
        if (cursor.Length > 0 && (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            throw MeshException.Invalid(RoutingReasons.CursorInvalid, "cursor", "is not a cursor from this inbox");
        }

        var settings = options.Value;
        var lastWrite = time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            // Taken before the scan, so an item committed during the scan still wakes the next wait.
            var changed = notifier.NextChange(caller);
            var batch = await store.ScanAsync(RoutingKeys.InboxPrefix(caller), after == 0 ? null : RoutingKeys.Inbox(caller, after), 500, cancellationToken).ConfigureAwait(false);
            if (batch.Count > 0)
            {
                var entries = batch.Select(i => Stored.Read(i, RoutingJson.Default.InboxEntry)).ToList();
                var items = await BuildAsync(entries.Where(e => kind == InboxItemKind.Unspecified || e.Kind == (int)kind).ToList(), cancellationToken).ConfigureAwait(false);
                foreach (var item in items)
                {
                    await write(new WatchInboxResponse { Item = item }).ConfigureAwait(false);
                }

                after = entries[^1].Sequence;
                lastWrite = time.GetUtcNow();
                if (batch.Count == 500)
                {
                    continue;
                }
            }

            var untilHeartbeat = settings.WatchHeartbeat - (time.GetUtcNow() - lastWrite);
            if (untilHeartbeat <= TimeSpan.Zero)
            {
                await write(new WatchInboxResponse { Heartbeat = true }).ConfigureAwait(false);
                lastWrite = time.GetUtcNow();
                continue;
            }

            // Other processes' items are found by the periodic re-scan; this process's wake the watch at once.
            var wait = untilHeartbeat < settings.WatchRescan ? untilHeartbeat : settings.WatchRescan;
            await Task.WhenAny(changed, Task.Delay(wait, time, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Streams a document to a party; a recipient's first download moves its delivery to DOWNLOADED.</summary>
    public async Task DownloadAsync(string caller, DownloadDocumentRequest request, Func<DownloadDocumentResponse, Task> write, CancellationToken cancellationToken)
    {
        var document = await RequireDocumentAsync(request.DocumentId, cancellationToken).ConfigureAwait(false);
        await RequirePartyAsync(caller, document, "download", cancellationToken).ConfigureAwait(false);
        if (request.Offset < 0 || (request.Offset > 0 && request.AttachmentName.Length == 0))
        {
            throw MeshException.Invalid(RoutingReasons.OffsetInvalid, "offset", "a resume offset goes with an attachment_name and is not negative");
        }

        if (request.PackageOnly && (request.AttachmentName.Length > 0 || request.Offset > 0))
        {
            throw MeshException.Invalid(RoutingReasons.OffsetInvalid, "package_only", "a package-only download names no attachment and no offset");
        }

        var selected = document.Attachments.Select((a, i) => (a, i)).Where(x => request.AttachmentName.Length == 0 || x.a.Name == request.AttachmentName).ToList();
        if (request.AttachmentName.Length > 0 && selected.Count == 0)
        {
            throw MeshException.NotFound(RoutingReasons.AttachmentNotFound, "attachment", request.AttachmentName);
        }

        if (selected.Count == 1 && request.Offset > selected[0].a.Size)
        {
            throw MeshException.Invalid(RoutingReasons.OffsetInvalid, "offset", $"beyond the end of '{request.AttachmentName}' ({selected[0].a.Size} bytes)");
        }

        var (_, receipt) = await exchange.CompleteReceiptAsync(document, cancellationToken).ConfigureAwait(false);
        await write(new DownloadDocumentResponse
        {
            Package = new DocumentPackage
            {
                DocumentId = document.Id,
                Manifest = ByteString.CopyFrom(document.Manifest),
                ManifestSignature = ByteString.CopyFrom(document.ManifestSignature),
                ReceiptBytes = ByteString.CopyFrom(receipt.ReceiptBytes),
                ReceiptSignature = ByteString.CopyFrom(receipt.Signature),
                Summary = RoutingViews.Summary(document),
            },
        }).ConfigureAwait(false);

        if (request.PackageOnly)
        {
            // Delivered in full only when there are no attachment bytes to fetch.
            selected.Clear();
        }

        foreach (var (attachment, index) in selected)
        {
            if (attachment.Size == 0)
            {
                continue;
            }

            var offset = request.AttachmentName.Length > 0 ? request.Offset : 0;
            if (offset == attachment.Size)
            {
                continue;
            }

            _ = Sha256Hash.TryParse(attachment.Sha256, out var id);
            await using var read = await blobs.OpenReadAsync(id, offset, 0, cancellationToken).ConfigureAwait(false);
            await foreach (var segment in read.Content.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                for (var at = 0; at < segment.Length; at += AttachmentReceiver.MaxChunkData)
                {
                    var piece = segment.Slice(at, Math.Min(AttachmentReceiver.MaxChunkData, segment.Length - at));
                    await write(new DownloadDocumentResponse { Chunk = new AttachmentChunk { AttachmentIndex = index, Offset = offset, Data = ByteString.CopyFrom(piece.Span) } }).ConfigureAwait(false);
                    offset += piece.Length;
                }
            }
        }

        if (document.Recipients.Contains(caller, StringComparer.Ordinal) && (!request.PackageOnly || document.Attachments.All(a => a.Size == 0)))
        {
            await MarkDownloadedAsync(document, caller, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task MarkDownloadedAsync(DocumentRecord document, string recipient, CancellationToken cancellationToken)
    {
        var key = RoutingKeys.Delivery(document.Id, recipient);
        for (var attempt = 1; ; attempt++)
        {
            var (delivery, etag) = await RequireDeliveryAsync(key, cancellationToken).ConfigureAwait(false);
            if (delivery.State != DomainState.Pending)
            {
                return;
            }

            var now = time.GetUtcNow();
            var updated = delivery with { State = DeliveryRules.AfterDownload(delivery.State), UpdateTime = now, Events = [.. delivery.Events, new TraceEntry(now, "downloaded", recipient, "")] };
            try
            {
                await store.SetAsync(key, Stored.Write(updated, RoutingJson.Default.DeliveryRecord), etag, cancellationToken).ConfigureAwait(false);
            }
            catch (ETagMismatchException) when (attempt < MaxRetries)
            {
                continue;
            }

            await exchange.RecordAuditAsync(new AuditRecord(AuditEventTypes.DeliveryDownloaded, now, recipient) { DocumentId = document.Id, BusinessDocumentId = document.BusinessDocumentId, Counterparts = [document.Sender] }, cancellationToken).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>A recipient's transport acknowledgement.</summary>
    public async Task<AcknowledgeDeliveryResponse> AcknowledgeAsync(string caller, AcknowledgeDeliveryRequest request, CancellationToken cancellationToken)
    {
        var key = RoutingKeys.DeliveryKeyOf(request.DeliveryId) ?? throw MeshException.Invalid(RoutingReasons.DeliveryNotFound, "delivery_id", "is not a delivery id from the inbox");
        if (request.RequestId.Length > 128)
        {
            throw MeshException.Invalid(RoutingReasons.RequestIdInvalid, "request_id", "must be at most 128 characters");
        }

        // With a request id the acknowledgement is idempotent even after later ones: a retry of an
        // earlier "processing" after "done" returns the delivery as it is, it does not fail the transition.
        var requestKey = request.RequestId.Length == 0 ? null : RoutingKeys.Request(caller, "ack", request.RequestId);
        var fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{request.DeliveryId}\n{(int)request.Outcome}\n{request.Description}")));
        for (var attempt = 1; ; attempt++)
        {
            var (delivery, etag) = await RequireDeliveryAsync(key, cancellationToken).ConfigureAwait(false);
            var replay = requestKey is null ? null : await store.GetAsync(requestKey, cancellationToken).ConfigureAwait(false);
            if (replay is not null && Stored.Read(replay, RoutingJson.Default.RequestRecord).Fingerprint != fingerprint)
            {
                throw MeshException.Precondition(RoutingReasons.RequestIdReused, "This request id was used for another acknowledgement.");
            }

            if (!string.Equals(delivery.Recipient, caller, StringComparison.Ordinal))
            {
                throw await RefuseAsync(caller, MeshException.Denied(RoutingReasons.NotARecipient, "Only the recipient of a delivery acknowledges it."), delivery.DocumentId, cancellationToken).ConfigureAwait(false);
            }

            var document = await RequireDocumentAsync(delivery.DocumentId, cancellationToken).ConfigureAwait(false);
            var item = new InboxEntry(delivery.InboxSequence, (int)InboxItemKind.Document, delivery.Id, delivery.DocumentId, delivery.Sender, document.BusinessType, delivery.CreateTime);
            var state = replay is not null ? delivery.State : DeliveryRules.AfterAcknowledge(delivery.State, (DomainAck)(int)request.Outcome, request.Description);
            if (state == delivery.State)
            {
                return new AcknowledgeDeliveryResponse { Item = RoutingViews.DeliveryItem(item, delivery, etag, document) };
            }

            var now = time.GetUtcNow();
            var kind = "ack." + request.Outcome.ToString().ToLowerInvariant();
            var updated = delivery with { State = state, UpdateTime = now, Events = [.. delivery.Events, new TraceEntry(now, kind, caller, request.Description)] };
            var operations = new List<StateOperation> { StateOperation.Upsert(key, Stored.Write(updated, RoutingJson.Default.DeliveryRecord), etag) };
            if (requestKey is not null)
            {
                operations.Add(StateOperation.Upsert(requestKey, Stored.Write(new RequestRecord(fingerprint, delivery.Id), RoutingJson.Default.RequestRecord), ETag.Absent));
            }

            if (DeliveryRules.IsAnswered(state))
            {
                operations.Add(StateOperation.Delete(RoutingKeys.Due(delivery.AcknowledgeBy, delivery.DocumentId, delivery.Recipient)));
            }

            IReadOnlyList<string> etags;
            try
            {
                etags = await store.TransactAsync(operations, cancellationToken).ConfigureAwait(false);
            }
            catch (ETagMismatchException) when (attempt < MaxRetries)
            {
                continue;
            }

            await exchange.RecordAuditAsync(new AuditRecord(AuditEventTypes.DeliveryAcknowledged, now, caller) { DocumentId = delivery.DocumentId, BusinessDocumentId = document.BusinessDocumentId, Counterparts = [delivery.Sender], Detail = kind }, cancellationToken).ConfigureAwait(false);
            var view = RoutingViews.DeliveryItem(item, updated, etags[0], document);
            await exchange.PublishAsync(RoutingTopics.DeliveryAcknowledged, $"{delivery.Id}:{kind}", delivery.Sender, view.ToByteArray(), cancellationToken).ConfigureAwait(false);
            return new AcknowledgeDeliveryResponse { Item = view };
        }
    }

    /// <summary>Records a signed business status and routes it to the sender (or, for 13, to the recipients).</summary>
    public async Task<ReportStatusResponse> ReportStatusAsync(string caller, ReportStatusRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await ReportStatusCoreAsync(caller, request, cancellationToken).ConfigureAwait(false);
        }
        catch (MeshException e)
        {
            RoutingTelemetry.StatusesRefused.Add(1, new KeyValuePair<string, object?>("reason", e.Reason));
            await exchange.RecordRefusalAsync(e.Kind == ErrorKind.PermissionDenied ? AuditEventTypes.AuthorizationFailed : AuditEventTypes.StatusRefused, caller, e, "", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<ReportStatusResponse> ReportStatusCoreAsync(string caller, ReportStatusRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.RequestId) || request.RequestId.Length > 128)
        {
            throw MeshException.Invalid(RoutingReasons.RequestIdInvalid, "request_id", "must be 1 to 128 characters");
        }

        if (request.Status.IsEmpty)
        {
            throw MeshException.Invalid(RoutingReasons.StatusMalformed, "status", "the signed StatusReport is required");
        }

        StatusReport report;
        try
        {
            report = StatusReport.Parser.ParseFrom(request.Status);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw MeshException.Invalid(RoutingReasons.StatusMalformed, "status", $"not a serialized StatusReport: {e.Message}");
        }

        if (!string.Equals(report.FromOrganId, caller, StringComparison.Ordinal))
        {
            throw MeshException.Denied(RoutingReasons.ReporterMismatch, $"Agency {caller} may not report as '{report.FromOrganId}'.");
        }

        await exchange.VerifySignatureAsync(request.Status.Memory, request.StatusSignature.Memory, caller, "status_signature", cancellationToken).ConfigureAwait(false);
        var fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(request.Status.Span));
        var requestKey = RoutingKeys.Request(caller, "status", request.RequestId);
        if (await store.GetAsync(requestKey, cancellationToken).ConfigureAwait(false) is { } previous)
        {
            var record = Stored.Read(previous, RoutingJson.Default.RequestRecord);
            if (record.Fingerprint != fingerprint)
            {
                throw MeshException.Precondition(RoutingReasons.RequestIdReused, "This request id was used for another status.");
            }

            var statusItem = await store.GetAsync(RoutingKeys.Status(record.ResultId), cancellationToken).ConfigureAwait(false)
                ?? throw new MeshException(ErrorKind.Internal, "STATUS_MISSING", $"Request record points at missing status {record.ResultId}.");
            var existing = Stored.Read(statusItem, RoutingJson.Default.StatusRecord);
            return new ReportStatusResponse { Status = RoutingViews.Notification(existing), AuditLeafIndex = existing.AuditLeafIndex };
        }

        var code = (BusinessStatus)(int)report.Code;
        for (var attempt = 1; ; attempt++)
        {
            var found = await exchange.FindDocumentAsync(report.DocumentId, cancellationToken).ConfigureAwait(false)
                ?? throw MeshException.NotFound(RoutingReasons.DocumentNotFound, "document", report.DocumentId);
            var document = found.Record;
            var isSender = document.Sender == caller;
            var isRecipient = document.Recipients.Contains(caller, StringComparer.Ordinal);
            if (!isSender && !isRecipient)
            {
                throw MeshException.Denied(RoutingReasons.NotARecipient, $"Agency {caller} did not receive document {document.Id}.");
            }

            var role = isRecipient && code != BusinessStatus.WithdrawRequested ? ReporterRole.Recipient : isSender ? ReporterRole.Sender : ReporterRole.Recipient;
            var targets = role == ReporterRole.Recipient ? [caller] : document.Recipients;
            var deliveries = new List<(DeliveryRecord Record, string ETag, string Key)>();
            foreach (var recipient in targets)
            {
                var key = RoutingKeys.Delivery(document.Id, recipient);
                var (d, etag) = await RequireDeliveryAsync(key, cancellationToken).ConfigureAwait(false);
                deliveries.Add((d, etag, key));
            }

            var last = role == ReporterRole.Recipient ? deliveries[0].Record.LastStatus : BusinessStatus.None;
            var pending = role == ReporterRole.Recipient ? deliveries[0].Record.WithdrawPending : deliveries.Any(d => d.Record.WithdrawPending);
            StatusRules.Check(role, code, last, pending, report.Description);

            var now = time.GetUtcNow();
            var status = new StatusRecord(Guid.CreateVersion7(now).ToString("N"), document.Id, caller, code, report.Description, now, request.Status.ToByteArray(), request.StatusSignature.ToByteArray(), -1);
            var kind = $"status.{(int)code:D2}";
            var operations = new List<StateOperation>();
            foreach (var (d, etag, key) in deliveries)
            {
                var updated = d with
                {
                    LastStatus = StatusRules.IsProgress(code) ? code : d.LastStatus,
                    WithdrawPending = code == BusinessStatus.WithdrawRequested || (d.WithdrawPending && code is not (BusinessStatus.WithdrawAccepted or BusinessStatus.WithdrawRefused)),
                    UpdateTime = now,
                    Events = [.. d.Events, new TraceEntry(now, kind, caller, report.Description)],
                };
                operations.Add(StateOperation.Upsert(key, Stored.Write(updated, RoutingJson.Default.DeliveryRecord), etag));
            }

            operations.Add(StateOperation.Upsert(RoutingKeys.Status(status.Id), Stored.Write(status, RoutingJson.Default.StatusRecord), ETag.Absent));
            operations.Add(StateOperation.Upsert(requestKey, Stored.Write(new RequestRecord(fingerprint, status.Id), RoutingJson.Default.RequestRecord), ETag.Absent));
            var notified = role == ReporterRole.Recipient ? [document.Sender] : document.Recipients;
            var items = notified.Select(o => new PendingInboxItem(o, seq => new InboxEntry(seq, (int)InboxItemKind.Status, status.Id, document.Id, caller, document.BusinessType, now))).ToList();
            try
            {
                await inbox.CommitAsync(operations, items, cancellationToken).ConfigureAwait(false);
            }
            catch (ETagMismatchException e) when (e.Key == requestKey)
            {
                throw MeshException.Precondition(RoutingReasons.RequestIdReused, "This request id is being used by a concurrent report; retry it.");
            }
            catch (ETagMismatchException) when (attempt < MaxRetries)
            {
                continue;
            }

            var leaf = await exchange.RecordAuditAsync(new AuditRecord(AuditEventTypes.StatusReported, now, caller) { DocumentId = document.Id, BusinessDocumentId = document.BusinessDocumentId, Counterparts = notified, Detail = kind, Digests = [fingerprint] }, cancellationToken).ConfigureAwait(false);
            if (leaf >= 0)
            {
                status = status with { AuditLeafIndex = leaf };
                await store.SetAsync(RoutingKeys.Status(status.Id), Stored.Write(status, RoutingJson.Default.StatusRecord), null, cancellationToken).ConfigureAwait(false);
            }

            RoutingTelemetry.StatusesReported.Add(1, new KeyValuePair<string, object?>("code", kind));
            var notification = RoutingViews.Notification(status);
            foreach (var organ in notified)
            {
                await exchange.PublishAsync(RoutingTopics.StatusReported, $"{status.Id}:{organ}", organ, notification.ToByteArray(), cancellationToken).ConfigureAwait(false);
            }

            return new ReportStatusResponse { Status = notification, AuditLeafIndex = leaf };
        }
    }

    /// <summary>The document's timeline per recipient: the sender sees every recipient, a recipient its own.</summary>
    public async Task<GetDocumentTraceResponse> TraceAsync(string caller, string documentId, CancellationToken cancellationToken)
    {
        var document = await RequireDocumentAsync(documentId, cancellationToken).ConfigureAwait(false);
        await RequirePartyAsync(caller, document, "trace", cancellationToken).ConfigureAwait(false);
        var visible = document.Sender == caller ? document.Recipients : [caller];
        var items = await store.GetBulkAsync(visible.Select(r => RoutingKeys.Delivery(document.Id, r)).ToList(), cancellationToken).ConfigureAwait(false);
        var response = new GetDocumentTraceResponse { Document = RoutingViews.Summary(document), Flags = new DeadlineFlags { Late = document.Late } };
        foreach (var delivery in items.Select(i => Stored.Read(i, RoutingJson.Default.DeliveryRecord)).OrderBy(d => d.Recipient, StringComparer.Ordinal))
        {
            response.Recipients.Add(new RecipientTrace
            {
                OrganId = delivery.Recipient,
                DeliveryId = delivery.Id,
                DeliveryState = RoutingViews.State(delivery.State),
                LastStatus = RoutingViews.Code(delivery.LastStatus),
                Flags = new DeadlineFlags { Late = document.Late, Overdue = delivery.Overdue },
                Events = { delivery.Events.Select(e => new TraceEvent { Time = Timestamp.FromDateTimeOffset(e.Time), Kind = e.Kind, Actor = e.Actor, Detail = e.Detail }) },
            });
        }

        // Follow the chain of revocations, updates and replacements, oldest first.
        var seen = new HashSet<string>(StringComparer.Ordinal) { document.Id };
        var queue = new Queue<string>(document.ChangedBy);
        var chain = new List<DocumentRecord>();
        while (queue.Count > 0 && chain.Count < 100)
        {
            var id = queue.Dequeue();
            if (!seen.Add(id) || await exchange.FindDocumentAsync(id, cancellationToken).ConfigureAwait(false) is not { } next)
            {
                continue;
            }

            chain.Add(next.Record);
            foreach (var later in next.Record.ChangedBy)
            {
                queue.Enqueue(later);
            }
        }

        response.ChangedBy.AddRange(chain.OrderBy(d => d.AcceptTime).Select(RoutingViews.Summary));
        return response;
    }

    private async Task<List<InboxItem>> BuildAsync(IReadOnlyList<InboxEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return [];
        }

        var keys = new List<string>();
        foreach (var e in entries)
        {
            keys.Add(RoutingKeys.Document(e.DocumentId));
            keys.Add(e.Kind == (int)InboxItemKind.Document ? $"routing/dlv/{e.ItemId}" : RoutingKeys.Status(e.ItemId));
        }

        var found = (await store.GetBulkAsync(keys.Distinct(StringComparer.Ordinal).ToList(), cancellationToken).ConfigureAwait(false)).ToDictionary(i => i.Key, StringComparer.Ordinal);
        var items = new List<InboxItem>(entries.Count);
        var documents = new Dictionary<string, DocumentRecord>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (!found.TryGetValue(RoutingKeys.Document(e.DocumentId), out var docItem))
            {
                continue;
            }

            if (!documents.TryGetValue(e.DocumentId, out var document))
            {
                document = Stored.Read(docItem, RoutingJson.Default.DocumentRecord);
                documents[e.DocumentId] = document;
            }

            if (e.Kind == (int)InboxItemKind.Document && found.TryGetValue($"routing/dlv/{e.ItemId}", out var d))
            {
                var delivery = Stored.Read(d, RoutingJson.Default.DeliveryRecord);
                items.Add(RoutingViews.DeliveryItem(e, delivery, d.ETag, document));
            }
            else if (e.Kind == (int)InboxItemKind.Status && found.TryGetValue(RoutingKeys.Status(e.ItemId), out var s))
            {
                items.Add(RoutingViews.StatusItem(e, Stored.Read(s, RoutingJson.Default.StatusRecord), document));
            }
        }

        return items;
    }

    private async Task<DocumentRecord> RequireDocumentAsync(string id, CancellationToken cancellationToken) =>
        (await exchange.FindDocumentAsync(id, cancellationToken).ConfigureAwait(false))?.Record
        ?? throw MeshException.NotFound(RoutingReasons.DocumentNotFound, "document", id);

    private async Task<(DeliveryRecord Record, string ETag)> RequireDeliveryAsync(string key, CancellationToken cancellationToken)
    {
        var item = await store.GetAsync(key, cancellationToken).ConfigureAwait(false)
            ?? throw MeshException.NotFound(RoutingReasons.DeliveryNotFound, "delivery", key["routing/dlv/".Length..]);
        return (Stored.Read(item, RoutingJson.Default.DeliveryRecord), item.ETag);
    }

    private async Task RequirePartyAsync(string caller, DocumentRecord document, string action, CancellationToken cancellationToken)
    {
        if (document.Sender != caller && !document.Recipients.Contains(caller, StringComparer.Ordinal))
        {
            throw await RefuseAsync(caller, MeshException.Denied(RoutingReasons.NotAParty, $"Only the sender and the recipients of a document may {action} it."), document.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MeshException> RefuseAsync(string caller, MeshException refusal, string documentId, CancellationToken cancellationToken)
    {
        await exchange.RecordRefusalAsync(AuditEventTypes.AuthorizationFailed, caller, refusal, documentId, cancellationToken).ConfigureAwait(false);
        return refusal;
    }
}
