namespace Mesh.Routing.Domain;

/// <summary>Stable ErrorInfo reasons of the routing service; adapters branch on these, never on messages.</summary>
public static class RoutingReasons
{
    public const string ManifestRequired = "MANIFEST_REQUIRED";
    public const string ManifestMalformed = "MANIFEST_MALFORMED";
    public const string RequestIdInvalid = "REQUEST_ID_INVALID";
    public const string SignatureRequired = "SIGNATURE_REQUIRED";
    public const string SignatureInvalid = "SIGNATURE_INVALID";
    public const string SignerNotBound = "SIGNER_NOT_BOUND";
    public const string SenderMismatch = "SENDER_MISMATCH";
    public const string HeaderInvalid = "HEADER_INVALID";
    public const string DocumentIdInconsistent = "DOCUMENT_ID_INCONSISTENT";
    public const string DuplicateCode = "DUPLICATE_CODE";
    public const string ClassifiedDocument = "CLASSIFIED_DOCUMENT";
    public const string RecipientUnknown = "RECIPIENT_UNKNOWN";
    public const string RecipientNotActive = "RECIPIENT_NOT_ACTIVE";
    public const string RecipientsDuplicate = "RECIPIENTS_DUPLICATE";
    public const string TargetNotFound = "TARGET_NOT_FOUND";
    public const string TargetNotOwned = "TARGET_NOT_OWNED";
    public const string TargetRecipientsMismatch = "TARGET_RECIPIENTS_MISMATCH";
    public const string TargetRevoked = "TARGET_REVOKED";
    public const string AttachmentMissing = "ATTACHMENT_MISSING";
    public const string DigestMismatch = "DIGEST_MISMATCH";
    public const string SizeMismatch = "SIZE_MISMATCH";
    public const string UndeclaredChunk = "UNDECLARED_CHUNK";
    public const string ChunkOutOfOrder = "CHUNK_OUT_OF_ORDER";
    public const string ChunkTooLarge = "CHUNK_TOO_LARGE";
    public const string TooManyAttachments = "TOO_MANY_ATTACHMENTS";
    public const string AttachmentTooLarge = "ATTACHMENT_TOO_LARGE";
    public const string PdfSignatureMissing = "PDF_SIGNATURE_MISSING";
    public const string PdfSignatureInvalid = "PDF_SIGNATURE_INVALID";
    public const string PdfAgencySignatureMissing = "PDF_AGENCY_SIGNATURE_MISSING";
    public const string PdfPersonalSignatureMissing = "PDF_PERSONAL_SIGNATURE_MISSING";
    public const string NotAParty = "NOT_A_PARTY";
    public const string NotARecipient = "NOT_A_RECIPIENT";
    public const string StatusTransitionInvalid = "STATUS_TRANSITION_INVALID";
    public const string StatusMalformed = "STATUS_MALFORMED";
    public const string ReporterMismatch = "REPORTER_MISMATCH";
    public const string ReasonRequired = "REASON_REQUIRED";
    public const string RequestIdReused = "REQUEST_ID_REUSED";
    public const string DocumentNotFound = "DOCUMENT_NOT_FOUND";
    public const string DeliveryNotFound = "DELIVERY_NOT_FOUND";
    public const string DeliveryTransitionInvalid = "DELIVERY_TRANSITION_INVALID";
    public const string AttachmentNotFound = "ATTACHMENT_NOT_FOUND";
    public const string OffsetInvalid = "OFFSET_INVALID";
    public const string CursorInvalid = "CURSOR_INVALID";
    public const string PageTokenInvalid = "PAGE_TOKEN_INVALID";
    public const string UploadNotFound = "UPLOAD_NOT_FOUND";
    public const string UploadManifestMismatch = "UPLOAD_MANIFEST_MISMATCH";
    public const string UploadOffsetMismatch = "UPLOAD_OFFSET_MISMATCH";
    public const string UploadStagingLost = "UPLOAD_STAGING_LOST";
}
