using System.Globalization;
using Mesh.Contracts.Routing.V1;
using Mesh.Domain;
using Mesh.Errors;

namespace Mesh.Routing.Domain;

/// <summary>The limits a manifest is checked against.</summary>
public sealed record ManifestLimits(int MaxAttachments, long MaxAttachmentSize, long MaxTotalSize, int MaxMainDocumentSize, bool VerifyPdf);

/// <summary>
/// Header rules of a send (QCVN 102:2016 MessageHeader §2.1; NĐ 30 Art. 8, 15.1; QĐ 28/2018).
/// Works on the manifest message itself: it is the signed contract, so nothing is lost in mapping.
/// </summary>
public static class ManifestRules
{
    private const int MaxText = 2000;

    /// <summary>The canonical business DocumentId: "{issuer},{yyyy/MM/dd},{number}/{notation}" (QCVN 102 §1.14).</summary>
    public static string BusinessDocumentId(string organId, DateOnly date, string number, string notation) =>
        string.Create(CultureInfo.InvariantCulture, $"{organId},{date:yyyy'/'MM'/'dd},{number}/{notation}");

    /// <summary>Converts a wire date; null when it is not a calendar date.</summary>
    public static DateOnly? ToDate(Mesh.Contracts.Common.V1.Date? date)
    {
        if (date is null || date.Year is < 1 or > 9999 || date.Month is < 1 or > 12 || date.Day < 1 || date.Day > DateTime.DaysInMonth(date.Year, date.Month))
        {
            return null;
        }

        return new DateOnly(date.Year, date.Month, date.Day);
    }

    /// <summary>Whether a classification is a state secret (QĐ 28/2018 excludes them; Law 29/2018/QH14 levels).</summary>
    public static bool IsClassified(Classification classification) =>
        classification is Classification.Secret or Classification.TopSecret or Classification.AbsoluteSecret;

    /// <summary>The urgency of a priority.</summary>
    public static Urgency UrgencyOf(Priority priority) => priority switch
    {
        Priority.Urgent => Urgency.Urgent,
        Priority.VeryUrgent => Urgency.VeryUrgent,
        Priority.Flash => Urgency.Flash,
        _ => Urgency.Normal,
    };

    /// <summary>
    /// Checks every rule that needs nothing but the manifest. Throws HEADER_INVALID (with every field
    /// violation), DOCUMENT_ID_INCONSISTENT, CLASSIFIED_DOCUMENT, RECIPIENTS_DUPLICATE,
    /// TOO_MANY_ATTACHMENTS or ATTACHMENT_TOO_LARGE. The sender check (SENDER_MISMATCH) comes first, see <see cref="SenderOf"/>.
    /// </summary>
    public static void Check(DocumentManifest manifest, ManifestLimits limits)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(limits);
        var header = manifest.Header;
        var violations = new List<FieldViolation>();
        void Bad(string field, string description) => violations.Add(new FieldViolation(field, description));

        var from = header.From?.OrganId ?? "";
        var number = header.Code?.CodeNumber ?? "";
        var notation = header.Code?.CodeNotation ?? "";
        if (number.Length is 0 or > 11 || !number.All(char.IsAsciiDigit))
        {
            Bad("header.code.code_number", "must be 1 to 11 digits (NĐ 30 Art. 15.1)");
        }

        if (notation.Length is 0 or > 100 || notation.Contains(',', StringComparison.Ordinal) || notation.Any(char.IsControl))
        {
            Bad("header.code.code_notation", "must be 1 to 100 characters without commas or control characters");
        }

        var date = ToDate(header.PromulgationInfo?.PromulgationDate);
        if (date is null)
        {
            Bad("header.promulgation_info.promulgation_date", "is required and must be a calendar date");
        }

        if (string.IsNullOrWhiteSpace(header.Subject) || header.Subject.Length > MaxText)
        {
            Bad("header.subject", $"is required (trích yếu), at most {MaxText} characters");
        }

        if (string.IsNullOrWhiteSpace(header.DocumentType?.TypeName))
        {
            Bad("header.document_type.type_name", "is required");
        }

        if (string.IsNullOrWhiteSpace(header.SignerInfo?.FullName))
        {
            Bad("header.signer_info.full_name", "is required");
        }

        if (header.DueDate is not null && ToDate(header.DueDate) is null)
        {
            Bad("header.due_date", "must be a calendar date");
        }

        var priority = header.OtherInfo?.Priority ?? Priority.Unspecified;
        if (!Enum.IsDefined(priority))
        {
            Bad("header.other_info.priority", $"{(int)priority} is not a priority");
        }

        var classification = header.OtherInfo?.Classification ?? Classification.Unspecified;
        if (!Enum.IsDefined(classification))
        {
            Bad("header.other_info.classification", $"{(int)classification} is not a classification");
        }

        var business = header.Business?.Type ?? BusinessType.Unspecified;
        var target = header.Business?.TargetDocumentId ?? "";
        if (!Enum.IsDefined(business))
        {
            Bad("header.business.type", $"{(int)business} is not a business type");
        }
        else if (business is BusinessType.Unspecified or BusinessType.New)
        {
            if (target.Length > 0)
            {
                Bad("header.business.target_document_id", "a new document changes no earlier document");
            }
        }
        else if (target.Length is 0 or > 200)
        {
            Bad("header.business.target_document_id", "revoke, update and replace name the document they change");
        }

        if (header.To.Count == 0)
        {
            Bad("header.to", "at least one recipient is required");
        }

        for (var i = 0; i < header.To.Count; i++)
        {
            var to = header.To[i].OrganId;
            if (!OrganId.TryParse(to, out _, out var problem))
            {
                Bad($"header.to[{i}].organ_id", problem);
            }
            else if (string.Equals(to, from, StringComparison.Ordinal))
            {
                Bad($"header.to[{i}].organ_id", "an agency does not send to itself");
            }
        }

        CheckAttachments(manifest, business, limits, Bad);
        if (violations.Count > 0)
        {
            throw new MeshException(ErrorKind.InvalidArgument, RoutingReasons.HeaderInvalid, "The header is invalid: " + string.Join("; ", violations.Select(v => $"{v.Field} {v.Description}")), violations);
        }

        // Secrets are refused whatever else is right (QĐ 28/2018 Art. 1; QCVN 102 does not cover them).
        if (IsClassified(classification))
        {
            throw MeshException.Precondition(RoutingReasons.ClassifiedDocument, "Documents classified Mật, Tối mật or Tuyệt mật are not exchanged electronically (QĐ 28/2018).");
        }

        var expected = BusinessDocumentId(from, date!.Value, number, notation);
        if (!string.Equals(header.DocumentId, expected, StringComparison.Ordinal))
        {
            throw new MeshException(
                ErrorKind.InvalidArgument,
                RoutingReasons.DocumentIdInconsistent,
                $"document_id '{header.DocumentId}' must be '{expected}' (From, PromulgationDate, Code)",
                [new FieldViolation("header.document_id", $"must be '{expected}'")]);
        }

        var duplicate = header.To.GroupBy(t => t.OrganId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw MeshException.Invalid(RoutingReasons.RecipientsDuplicate, "header.to", $"{duplicate.Key} appears {duplicate.Count()} times");
        }
    }

    /// <summary>The sender, checked against the caller: an agency sends only as itself (DESIGN.md Security).</summary>
    public static string SenderOf(DocumentManifest manifest, string callerOrganId)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var from = manifest.Header?.From?.OrganId ?? "";
        if (!OrganId.TryParse(from, out _, out var problem))
        {
            throw MeshException.Invalid(RoutingReasons.HeaderInvalid, "header.from.organ_id", problem);
        }

        if (!string.Equals(from, callerOrganId, StringComparison.Ordinal))
        {
            throw MeshException.Denied(RoutingReasons.SenderMismatch, $"Agency {callerOrganId} may not send as {from}.");
        }

        return from;
    }

    private static void CheckAttachments(DocumentManifest manifest, BusinessType business, ManifestLimits limits, Action<string, string> bad)
    {
        if (manifest.Attachments.Count > limits.MaxAttachments)
        {
            throw MeshException.Invalid(RoutingReasons.TooManyAttachments, "attachments", $"{manifest.Attachments.Count} attachments exceed the limit of {limits.MaxAttachments}");
        }

        long total = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var mains = 0;
        for (var i = 0; i < manifest.Attachments.Count; i++)
        {
            var a = manifest.Attachments[i];
            if (string.IsNullOrWhiteSpace(a.Name) || a.Name.Length > 255 || !names.Add(a.Name))
            {
                bad($"attachments[{i}].name", "is required, at most 255 characters and unique in the package");
            }

            if (a.Sha256.Length != 32)
            {
                bad($"attachments[{i}].sha256", "must be 32 bytes");
            }

            if (a.Size < 0)
            {
                bad($"attachments[{i}].size", "must not be negative");
            }

            if (a.Size > limits.MaxAttachmentSize)
            {
                throw MeshException.Invalid(RoutingReasons.AttachmentTooLarge, $"attachments[{i}].size", $"{a.Size} bytes exceed the limit of {limits.MaxAttachmentSize}");
            }

            total += Math.Max(0, a.Size);
            if (a.Role == AttachmentRole.MainDocument)
            {
                mains++;
                if (limits.VerifyPdf && a.Size > limits.MaxMainDocumentSize)
                {
                    throw MeshException.Invalid(RoutingReasons.AttachmentTooLarge, $"attachments[{i}].size", $"the main document ({a.Size} bytes) exceeds the limit of {limits.MaxMainDocumentSize} for signature verification");
                }
            }
        }

        if (total > limits.MaxTotalSize)
        {
            throw MeshException.Invalid(RoutingReasons.AttachmentTooLarge, "attachments", $"the package ({total} bytes) exceeds the limit of {limits.MaxTotalSize}");
        }

        var needsMain = business is not BusinessType.Revoke;
        if (needsMain ? mains != 1 : mains > 1)
        {
            bad("attachments", needsMain ? "exactly one MAIN_DOCUMENT is required" : "at most one MAIN_DOCUMENT");
        }
    }
}
