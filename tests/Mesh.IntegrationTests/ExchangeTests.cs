using Google.Protobuf;
using Grpc.Core;
using Mesh.Contracts.Routing.V1;
using Mesh.ServiceDefaults.Errors;
using Mesh.Testing.Routing;
using RoutingStatus = Mesh.Contracts.Routing.V1.StatusCode;
using StatusCode = Grpc.Core.StatusCode;

namespace Mesh.IntegrationTests;

[Collection(HubCollection.Name)]
public sealed class ExchangeTests(HubFixture hub)
{
    [Fact]
    public async Task SendDocument_ToTwoRecipients_BothReceiveAcknowledgeAndSenderSeesStatusesAndTrace()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B, HubFixture.C], attachments);

        var sent = await hub.ClientA.SendAsync(manifest, attachments);
        var id = sent.Receipt.DocumentId;
        var watchedB = await hub.ClientB.WatchUntilAsync("", items => items.Any(i => i.Document.DocumentId == id));
        var watchedC = await hub.ClientC.WatchUntilAsync("", items => items.Any(i => i.Document.DocumentId == id));
        var listedB = await hub.ClientB.InboxAsync(new ListInboxRequest { Sender = HubFixture.A, Kind = InboxItemKind.Document });
        var listedC = await hub.ClientC.InboxAsync(new ListInboxRequest { State = DeliveryState.Pending });
        var downloadB = await hub.ClientB.DownloadAsync(id);
        var downloadC = await hub.ClientC.DownloadAsync(id);
        var itemB = listedB.Single(i => i.Document.DocumentId == id);
        var itemC = listedC.Single(i => i.Document.DocumentId == id);
        var ackB = await hub.ClientB.Routing.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = "ack-b", DeliveryId = itemB.ItemId, Outcome = AckOutcome.Done });
        var ackC = await hub.ClientC.Routing.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = "ack-c", DeliveryId = itemC.ItemId, Outcome = AckOutcome.Done });
        await hub.ClientB.ReportAsync(id, RoutingStatus.Accepted);
        await hub.ClientB.ReportAsync(id, RoutingStatus.Finished);
        var statuses = await hub.ClientA.InboxAsync(new ListInboxRequest { Kind = InboxItemKind.Status });
        var trace = await hub.ClientA.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = id });

        sent.Receipt.Sender.Should().Be(HubFixture.A);
        sent.Receipt.Recipients.Should().Equal(HubFixture.B, HubFixture.C);
        sent.Receipt.BusinessDocumentId.Should().Be(manifest.Header.DocumentId);
        Receipt.Parser.ParseFrom(sent.ReceiptBytes).Should().Be(sent.Receipt);
        sent.ReceiptSignature.IsEmpty.Should().BeFalse();
        watchedB.Should().Contain(i => i.Document.DocumentId == id && i.Kind == InboxItemKind.Document);
        watchedC.Should().Contain(i => i.Document.DocumentId == id);
        itemB.DeliveryState.Should().Be(DeliveryState.Pending);
        downloadB.Package.Manifest.Should().Equal(ByteString.CopyFrom(manifest.ToByteArray()));
        downloadB.Package.ReceiptBytes.Should().Equal(sent.ReceiptBytes);
        downloadB.Attachments[0].Should().Equal(attachments[0].Content);
        downloadB.Attachments[1].Should().Equal(attachments[1].Content);
        downloadC.Attachments[0].Should().Equal(downloadB.Attachments[0]);
        downloadC.Attachments[1].Should().Equal(downloadB.Attachments[1]);
        ackB.Item.DeliveryState.Should().Be(DeliveryState.Done);
        ackC.Item.DeliveryState.Should().Be(DeliveryState.Done);
        statuses.Where(s => s.Document.DocumentId == id).Select(s => s.Status.Code).Should().Equal(RoutingStatus.Accepted, RoutingStatus.Finished);
        statuses.Where(s => s.Document.DocumentId == id).Should().OnlyContain(s => s.Status.Reporter == HubFixture.B);
        trace.Recipients.Select(r => r.OrganId).Should().Equal(HubFixture.B, HubFixture.C);
        trace.Recipients[0].LastStatus.Should().Be(RoutingStatus.Finished);
        trace.Recipients[0].DeliveryState.Should().Be(DeliveryState.Done);
        trace.Recipients[0].Events.Select(e => e.Kind).Should().ContainInOrder("accepted", "delivery.created", "downloaded", "ack.done", "status.03", "status.06");
        trace.Recipients[1].Events.Select(e => e.Kind).Should().ContainInOrder("accepted", "delivery.created", "downloaded", "ack.done");
    }

    [Fact]
    public async Task SendDocument_SameRequestIdTwice_OneDocumentAndIdenticalReceipts()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B, HubFixture.C], attachments);
        var requestId = "retry-" + Guid.NewGuid().ToString("N");

        var first = await hub.ClientA.SendAsync(manifest, attachments, requestId);
        var second = await hub.ClientA.SendAsync(manifest, attachments, requestId);
        var inboxB = await hub.ClientB.InboxAsync();
        var inboxC = await hub.ClientC.InboxAsync();

        second.ReceiptBytes.Should().Equal(first.ReceiptBytes);
        second.ReceiptSignature.Should().Equal(first.ReceiptSignature);
        inboxB.Count(i => i.Document.BusinessDocumentId == manifest.Header.DocumentId).Should().Be(1);
        inboxC.Count(i => i.Document.BusinessDocumentId == manifest.Header.DocumentId).Should().Be(1);
    }

    [Fact]
    public async Task SendDocument_SameRequestIdOtherManifest_RefusedWithRequestIdReused()
    {
        var attachments = hub.ClientA.Package();
        var requestId = "reuse-" + Guid.NewGuid().ToString("N");
        await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.B], attachments), attachments, requestId);
        var other = hub.ClientA.Manifest([HubFixture.B], attachments);

        var act = () => hub.ClientA.SendAsync(other, attachments, requestId);

        await ExpectRefusalAsync(act, StatusCode.FailedPrecondition, "REQUEST_ID_REUSED", other);
    }

    [Fact]
    public async Task SendDocument_Unsigned_RefusedWithSignatureRequired()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);

        var act = () => hub.ClientA.SendAsync(manifest, attachments, sign: false);

        await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "SIGNATURE_REQUIRED", manifest);
    }

    [Fact]
    public async Task SendDocument_SignedByKeyNotBoundToSender_RefusedWithSignerNotBound()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);
        using var rogue = hub.Hub.UnboundSigningCertificate(HubFixture.A);

        var act = () => hub.ClientA.SendAsync(manifest, attachments, signer: rogue);

        await ExpectRefusalAsync(act, StatusCode.PermissionDenied, "SIGNER_NOT_BOUND", manifest);
    }

    [Fact]
    public async Task SendDocument_SignedByAnotherAgencysKey_RefusedWithSignerNotBound()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);

        var act = () => hub.ClientA.SendAsync(manifest, attachments, signer: hub.ClientD.Agency.SigningCertificate);

        await ExpectRefusalAsync(act, StatusCode.PermissionDenied, "SIGNER_NOT_BOUND", manifest);
    }

    [Fact]
    public async Task SendDocument_TamperedManifest_RefusedWithSignatureInvalid()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);
        var signature = SignedPdf.SignDetached(manifest.ToByteArray(), hub.ClientA.Agency.SigningCertificate);
        manifest.Header.Subject = "changed after signing";

        var act = async () =>
        {
            using var call = hub.ClientA.Routing.SendDocument();
            await call.RequestStream.WriteAsync(new SendDocumentRequest { Header = new SendDocumentHeader { RequestId = "t-" + Guid.NewGuid().ToString("N"), Manifest = manifest.ToByteString(), ManifestSignature = ByteString.CopyFrom(signature) } });
            await call.RequestStream.CompleteAsync();
            return await call.ResponseAsync;
        };

        await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "SIGNATURE_INVALID", manifest);
    }

    [Fact]
    public async Task SendDocument_AsAnotherAgency_RefusedWithSenderMismatch()
    {
        var attachments = hub.ClientD.Package();
        var manifest = ManifestFactory.Create(HubFixture.D, [HubFixture.B], attachments, AgencyClient.Today);

        var act = () => hub.ClientA.SendAsync(manifest, attachments, signer: hub.ClientD.Agency.SigningCertificate);

        await ExpectRefusalAsync(act, StatusCode.PermissionDenied, "SENDER_MISMATCH", manifest);
    }

    [Theory]
    [InlineData(HubFixture.Unknown, StatusCode.NotFound, "RECIPIENT_UNKNOWN")]
    [InlineData(HubFixture.Suspended, StatusCode.FailedPrecondition, "RECIPIENT_NOT_ACTIVE")]
    public async Task SendDocument_RecipientUnknownOrSuspended_Refused(string recipient, StatusCode code, string reason)
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B, recipient], attachments);

        var act = () => hub.ClientA.SendAsync(manifest, attachments);

        await ExpectRefusalAsync(act, code, reason, manifest);
    }

    [Fact]
    public async Task SendDocument_DuplicateRecipients_RefusedWithRecipientsDuplicate()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B, HubFixture.B], attachments);

        var act = () => hub.ClientA.SendAsync(manifest, attachments);

        await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "RECIPIENTS_DUPLICATE", manifest);
    }

    [Fact]
    public async Task SendDocument_AttachmentNotSent_RefusedWithAttachmentMissing()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);

        var act = () => hub.ClientA.SendAsync(manifest, attachments, chunks: ManifestFactory.Chunks([attachments[0]]));

        await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "ATTACHMENT_MISSING", manifest);
    }

    [Fact]
    public async Task SendDocument_ContentNotMatchingDigest_RefusedWithDigestMismatch()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);
        var tampered = new OutgoingAttachment(attachments[1].Name, AgencyClient.RandomBytes(attachments[1].Content.Length));

        var act = () => hub.ClientA.SendAsync(manifest, attachments, chunks: ManifestFactory.Chunks([attachments[0], tampered]));

        await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "DIGEST_MISMATCH", manifest);
    }

    [Fact]
    public async Task SendDocument_ExtraChunkAfterAttachmentComplete_RefusedWithUndeclaredChunk()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);
        var extra = new AttachmentChunk { AttachmentIndex = 1, Offset = attachments[1].Content.Length, Data = ByteString.CopyFrom(1, 2, 3) };

        var act = () => hub.ClientA.SendAsync(manifest, attachments, chunks: ManifestFactory.Chunks(attachments).Append(extra));

        await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "UNDECLARED_CHUNK", manifest);
    }

    [Fact]
    public async Task SendDocument_ChunkForUndeclaredAttachment_RefusedWithUndeclaredChunk()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);
        var extra = new AttachmentChunk { AttachmentIndex = 2, Offset = 0, Data = ByteString.CopyFrom(1, 2, 3) };

        var act = () => hub.ClientA.SendAsync(manifest, attachments, chunks: ManifestFactory.Chunks(attachments).Append(extra));

        await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "UNDECLARED_CHUNK", manifest);
    }

    [Fact]
    public async Task SendDocument_AttachmentAboveLimit_RefusedWithAttachmentTooLarge()
    {
        var attachments = hub.ClientA.Package(attachmentSize: (4 * 1024 * 1024) + 1);
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);

        var act = () => hub.ClientA.SendAsync(manifest, attachments);

        await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "ATTACHMENT_TOO_LARGE", manifest);
    }

    [Theory]
    [InlineData(Classification.Secret)]
    [InlineData(Classification.TopSecret)]
    [InlineData(Classification.AbsoluteSecret)]
    public async Task SendDocument_StateSecret_RefusedWithClassifiedDocument(Classification classification)
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);
        manifest.Header.OtherInfo.Classification = classification;

        var act = () => hub.ClientA.SendAsync(manifest, attachments);

        await ExpectRefusalAsync(act, StatusCode.FailedPrecondition, "CLASSIFIED_DOCUMENT", manifest);
    }

    [Fact]
    public async Task SendDocument_DocumentIdNotMatchingHeader_RefusedWithDocumentIdInconsistent()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);
        manifest.Header.DocumentId = $"{HubFixture.A},2001/01/01,{manifest.Header.Code.CodeNumber}/{manifest.Header.Code.CodeNotation}";

        var act = () => hub.ClientA.SendAsync(manifest, attachments);

        await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "DOCUMENT_ID_INCONSISTENT", manifest);
    }

    [Fact]
    public async Task SendDocument_MissingSubject_RefusedWithHeaderInvalidAndFieldViolation()
    {
        var attachments = hub.ClientA.Package();
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);
        manifest.Header.Subject = "";

        var act = () => hub.ClientA.SendAsync(manifest, attachments);

        var refusal = await ExpectRefusalAsync(act, StatusCode.InvalidArgument, "HEADER_INVALID", manifest);
        refusal.FieldViolations().Should().Contain(v => v.Field == "header.subject");
    }

    [Fact]
    public async Task SendDocument_SameNumberAndNotationInSameYear_RefusedWithDuplicateCode()
    {
        var attachments = hub.ClientA.Package();
        var number = ManifestFactory.NextNumber();
        await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.B], attachments, number), attachments);
        var again = hub.ClientA.Manifest([HubFixture.C], attachments, number);

        var act = () => hub.ClientA.SendAsync(again, attachments);

        var refusal = await act.Should().ThrowAsync<RpcException>();
        refusal.Which.StatusCode.Should().Be(StatusCode.AlreadyExists);
        refusal.Which.MeshReason().Should().Be("DUPLICATE_CODE");
        (await hub.ClientC.InboxAsync()).Should().NotContain(i => i.Document.BusinessDocumentId == again.Header.DocumentId);
    }

    [Fact]
    public async Task SendDocument_UnsignedMainPdf_RefusedWithPdfSignatureMissing()
    {
        var attachments = new List<OutgoingAttachment> { new("van-ban.pdf", SignedPdf.Unsigned(), AttachmentRole.MainDocument) };
        var manifest = hub.ClientA.Manifest([HubFixture.B], attachments);

        var act = () => hub.ClientA.SendAsync(manifest, attachments);

        await ExpectRefusalAsync(act, StatusCode.FailedPrecondition, "PDF_SIGNATURE_MISSING", manifest);
    }

    [Fact]
    public async Task SendDocument_RevokeOfAnotherAgencysDocument_RefusedWithTargetNotOwned()
    {
        var attachments = hub.ClientA.Package();
        var original = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.B], attachments), attachments);
        var revoke = ManifestFactory.Create(HubFixture.D, [HubFixture.B], [], AgencyClient.Today);
        revoke.Header.Business = new Business { Type = BusinessType.Revoke, TargetDocumentId = original.Receipt.DocumentId, Reason = "nhầm" };

        var act = () => hub.ClientD.SendAsync(revoke, []);

        await ExpectRefusalAsync(act, StatusCode.PermissionDenied, "TARGET_NOT_OWNED", revoke);
    }

    [Fact]
    public async Task SendDocument_RevokeOwnDocument_RecipientsGetNoticeAndOriginalShowsRevoked()
    {
        var attachments = hub.ClientA.Package();
        var original = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.B, HubFixture.C], attachments), attachments);
        var revoke = hub.ClientA.Manifest([HubFixture.B], []);
        revoke.Header.Business = new Business { Type = BusinessType.Revoke, TargetDocumentId = original.Receipt.DocumentId, Reason = "ban hành nhầm" };

        var revoked = await hub.ClientA.SendAsync(revoke, []);
        var inboxB = await hub.ClientB.InboxAsync(new ListInboxRequest { BusinessType = BusinessType.Revoke });
        var originalInB = (await hub.ClientB.InboxAsync()).Single(i => i.Document.DocumentId == original.Receipt.DocumentId);
        var trace = await hub.ClientA.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = original.Receipt.DocumentId });

        revoked.Receipt.BusinessType.Should().Be(BusinessType.Revoke);
        inboxB.Should().Contain(i => i.Document.DocumentId == revoked.Receipt.DocumentId && i.Document.TargetDocumentId == original.Receipt.DocumentId);
        originalInB.Document.RevokedBy.Should().Be(revoked.Receipt.DocumentId);
        trace.Document.RevokedBy.Should().Be(revoked.Receipt.DocumentId);
        trace.ChangedBy.Select(d => d.DocumentId).Should().Equal(revoked.Receipt.DocumentId);
    }

    [Fact]
    public async Task ListAndDownload_OtherAgencysDocument_NotListedAndDeniedWithNotAParty()
    {
        var attachments = hub.ClientA.Package();
        var toC = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.C], attachments), attachments);

        var listedByB = await hub.ClientB.InboxAsync();
        var download = () => hub.ClientB.DownloadAsync(toC.Receipt.DocumentId);
        var trace = () => hub.ClientB.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = toC.Receipt.DocumentId }).ResponseAsync;

        listedByB.Should().NotContain(i => i.Document.DocumentId == toC.Receipt.DocumentId);
        var refusal = await download.Should().ThrowAsync<RpcException>();
        refusal.Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
        refusal.Which.MeshReason().Should().Be("NOT_A_PARTY");
        (await trace.Should().ThrowAsync<RpcException>()).Which.MeshReason().Should().Be("NOT_A_PARTY");
    }

    [Fact]
    public async Task AcknowledgeDelivery_ByAnotherAgency_DeniedWithNotARecipient()
    {
        var attachments = hub.ClientA.Package();
        var toC = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.C], attachments), attachments);

        var act = () => hub.ClientB.Routing.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = "x", DeliveryId = $"{toC.Receipt.DocumentId}/{HubFixture.C}", Outcome = AckOutcome.Done }).ResponseAsync;

        var refusal = await act.Should().ThrowAsync<RpcException>();
        refusal.Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
        refusal.Which.MeshReason().Should().Be("NOT_A_RECIPIENT");
    }

    [Fact]
    public async Task AcknowledgeDelivery_EarlierRequestRetriedAfterALaterOne_ReturnsTheDeliveryAsItIs()
    {
        var attachments = hub.ClientA.Package();
        var toC = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.C], attachments), attachments);
        var deliveryId = $"{toC.Receipt.DocumentId}/{HubFixture.C}";
        var processing = new AcknowledgeDeliveryRequest { RequestId = Guid.NewGuid().ToString("N"), DeliveryId = deliveryId, Outcome = AckOutcome.Processing };
        var done = new AcknowledgeDeliveryRequest { RequestId = Guid.NewGuid().ToString("N"), DeliveryId = deliveryId, Outcome = AckOutcome.Done };
        await hub.ClientC.DownloadAsync(toC.Receipt.DocumentId);
        await hub.ClientC.Routing.AcknowledgeDeliveryAsync(processing);
        await hub.ClientC.Routing.AcknowledgeDeliveryAsync(done);

        var retried = await hub.ClientC.Routing.AcknowledgeDeliveryAsync(processing);
        var reused = () => hub.ClientC.Routing.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = done.RequestId, DeliveryId = deliveryId, Outcome = AckOutcome.Failed, Description = "unreadable" }).ResponseAsync;

        retried.Item.DeliveryState.Should().Be(DeliveryState.Done, "a retry of an earlier acknowledgement changes nothing");
        var refusal = await reused.Should().ThrowAsync<RpcException>();
        refusal.Which.MeshReason().Should().Be("REQUEST_ID_REUSED");
        var trace = await hub.ClientA.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = toC.Receipt.DocumentId });
        trace.Recipients.Single().Events.Select(e => e.Kind).Where(k => k.StartsWith("ack.", StringComparison.Ordinal)).Should().Equal("ack.processing", "ack.done");
    }

    [Fact]
    public async Task ReportStatus_FromNonRecipient_DeniedWithNotARecipient()
    {
        var attachments = hub.ClientA.Package();
        var toB = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.B], attachments), attachments);

        var act = () => hub.ClientD.ReportAsync(toB.Receipt.DocumentId, RoutingStatus.Accepted);

        var refusal = await act.Should().ThrowAsync<RpcException>();
        refusal.Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
        refusal.Which.MeshReason().Should().Be("NOT_A_RECIPIENT");
        (await hub.ClientA.InboxAsync(new ListInboxRequest { Kind = InboxItemKind.Status })).Should().NotContain(i => i.Document.DocumentId == toB.Receipt.DocumentId);
    }

    [Fact]
    public async Task ReportStatus_BackwardsAfterFinished_RefusedWithStatusTransitionInvalid()
    {
        var attachments = hub.ClientA.Package();
        var toB = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.B], attachments), attachments);
        await hub.ClientB.ReportAsync(toB.Receipt.DocumentId, RoutingStatus.Finished);

        var act = () => hub.ClientB.ReportAsync(toB.Receipt.DocumentId, RoutingStatus.Accepted);

        var refusal = await act.Should().ThrowAsync<RpcException>();
        refusal.Which.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        refusal.Which.MeshReason().Should().Be("STATUS_TRANSITION_INVALID");
        (await hub.ClientA.InboxAsync(new ListInboxRequest { Kind = InboxItemKind.Status })).Count(i => i.Document.DocumentId == toB.Receipt.DocumentId).Should().Be(1);
    }

    [Fact]
    public async Task ReportStatus_RejectedWithoutReason_RefusedWithReasonRequired()
    {
        var attachments = hub.ClientA.Package();
        var toB = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.B], attachments), attachments);

        var act = () => hub.ClientB.ReportAsync(toB.Receipt.DocumentId, RoutingStatus.Rejected);

        var refusal = await act.Should().ThrowAsync<RpcException>();
        refusal.Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
        refusal.Which.MeshReason().Should().Be("REASON_REQUIRED");
    }

    [Fact]
    public async Task ReportStatus_WithdrawRequestBySender_RoutedToRecipients()
    {
        var attachments = hub.ClientA.Package();
        var toB = await hub.ClientA.SendAsync(hub.ClientA.Manifest([HubFixture.B], attachments), attachments);

        await hub.ClientA.ReportAsync(toB.Receipt.DocumentId, RoutingStatus.WithdrawRequested, "xin rút lại");
        await hub.ClientB.ReportAsync(toB.Receipt.DocumentId, RoutingStatus.WithdrawAccepted);
        var inB = await hub.ClientB.InboxAsync(new ListInboxRequest { Kind = InboxItemKind.Status });
        var inA = await hub.ClientA.InboxAsync(new ListInboxRequest { Kind = InboxItemKind.Status });

        inB.Should().Contain(i => i.Document.DocumentId == toB.Receipt.DocumentId && i.Status.Code == RoutingStatus.WithdrawRequested);
        inA.Should().Contain(i => i.Document.DocumentId == toB.Receipt.DocumentId && i.Status.Code == RoutingStatus.WithdrawAccepted);
    }

    /// <summary>Asserts the code and reason, and that nothing became visible: no inbox item, no document.</summary>
    private async Task<RpcException> ExpectRefusalAsync<T>(Func<Task<T>> act, StatusCode code, string reason, DocumentManifest manifest)
    {
        var refusal = (await act.Should().ThrowAsync<RpcException>()).Which;
        refusal.StatusCode.Should().Be(code, refusal.Status.Detail);
        refusal.MeshReason().Should().Be(reason, refusal.Status.Detail);
        foreach (var client in new[] { hub.ClientB, hub.ClientC, hub.ClientD })
        {
            (await client.InboxAsync()).Should().NotContain(i => i.Document.BusinessDocumentId == manifest.Header.DocumentId);
        }

        var lookup = () => hub.ClientA.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = manifest.Header.DocumentId }).ResponseAsync;
        (await lookup.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.NotFound);
        return refusal;
    }
}
