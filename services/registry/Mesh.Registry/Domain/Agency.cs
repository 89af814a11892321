using Mesh.Domain;

namespace Mesh.Registry.Domain;

/// <summary>The lifecycle of an agency. Only active agencies may send or receive.</summary>
public enum AgencyState
{
    /// <summary>In service.</summary>
    Active = 1,
    /// <summary>Temporarily out of service; may be reactivated.</summary>
    Suspended = 2,
    /// <summary>Permanently out of service; kept for history.</summary>
    Retired = 3,
}

/// <summary>Contact details of an agency's clerical office (edXML Organization children).</summary>
public sealed record Contacts(string OrganizationInCharge = "", string Address = "", string Email = "", string Telephone = "", string Fax = "", string Website = "")
{
    /// <summary>No contacts.</summary>
    public static Contacts None { get; } = new();
}

/// <summary>An agency in the registry.</summary>
public sealed record Agency(
    string OrganId,
    string? ParentOrganId,
    string DisplayName,
    string ShortName,
    Contacts Contacts,
    AgencyState State,
    string StateReason,
    int Level,
    DateTimeOffset CreateTime,
    DateTimeOffset UpdateTime)
{
    /// <summary>Whether the agency may send and receive.</summary>
    public bool IsActive => State == AgencyState.Active;
}

/// <summary>What the caller supplies to create or update an agency.</summary>
public sealed record AgencyDraft(string OrganId, string? ParentOrganId, string DisplayName, string ShortName, Contacts Contacts);

/// <summary>An agency with its current version tag.</summary>
public sealed record Versioned<T>(T Value, string ETag);

/// <summary>The rules an agency's fields must follow.</summary>
public static class AgencyRules
{
    /// <summary>Longest display name.</summary>
    public const int MaxDisplayName = 256;

    /// <summary>Longest short name.</summary>
    public const int MaxShortName = 64;

    /// <summary>Longest contact field.</summary>
    public const int MaxContactField = 256;

    /// <summary>Longest state reason.</summary>
    public const int MaxReason = 1024;

    /// <summary>Deepest hierarchy (QCVN 102 has four levels).</summary>
    public const int MaxLevel = 4;

    /// <summary>Checks every field of a draft; throws INVALID_ARGUMENT listing every violation.</summary>
    public static (OrganId Id, OrganId? Parent) Validate(AgencyDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var violations = new List<Errors.FieldViolation>();
        OrganId.TryParse(draft.OrganId, out var id, out var idProblem);
        if (idProblem is not null)
        {
            violations.Add(new("agency.organ_id", idProblem));
        }

        OrganId? parent = null;
        if (!string.IsNullOrEmpty(draft.ParentOrganId))
        {
            if (OrganId.TryParse(draft.ParentOrganId, out var p, out var parentProblem))
            {
                parent = p;
            }
            else
            {
                violations.Add(new("agency.parent_organ_id", parentProblem));
            }
        }

        Require(violations, "agency.display_name", draft.DisplayName, MaxDisplayName, required: true);
        Require(violations, "agency.short_name", draft.ShortName, MaxShortName, required: false);
        var c = draft.Contacts ?? Contacts.None;
        Require(violations, "agency.contacts.organization_in_charge", c.OrganizationInCharge, MaxContactField, false);
        Require(violations, "agency.contacts.address", c.Address, MaxContactField, false);
        Require(violations, "agency.contacts.email", c.Email, MaxContactField, false);
        Require(violations, "agency.contacts.telephone", c.Telephone, MaxContactField, false);
        Require(violations, "agency.contacts.fax", c.Fax, MaxContactField, false);
        Require(violations, "agency.contacts.website", c.Website, MaxContactField, false);
        if (!string.IsNullOrEmpty(c.Email) && (!c.Email.Contains('@', StringComparison.Ordinal) || c.Email.Contains(' ', StringComparison.Ordinal)))
        {
            violations.Add(new("agency.contacts.email", "is not an e-mail address"));
        }

        if (idProblem is null && parent is { } pid && pid == id)
        {
            violations.Add(new("agency.parent_organ_id", "an agency cannot be its own parent"));
        }

        if (violations.Count > 0)
        {
            throw new Errors.MeshException(Errors.ErrorKind.InvalidArgument, "AGENCY_INVALID", string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}")), violations);
        }

        return (id, parent);
    }

    /// <summary>Whether a state change is allowed: retired is final.</summary>
    public static void CheckTransition(AgencyState from, AgencyState to, string reason)
    {
        if (from == AgencyState.Retired && to != AgencyState.Retired)
        {
            throw Errors.MeshException.Precondition("AGENCY_RETIRED", "A retired agency cannot be reactivated or suspended; register a new one.");
        }

        if (to != AgencyState.Active && string.IsNullOrWhiteSpace(reason))
        {
            throw Errors.MeshException.Invalid("REASON_REQUIRED", "reason", "is required when suspending or retiring an agency");
        }

        if (reason is { Length: > MaxReason })
        {
            throw Errors.MeshException.Invalid("FIELD_TOO_LONG", "reason", $"is longer than {MaxReason} characters");
        }
    }

    private static void Require(List<Errors.FieldViolation> violations, string field, string? value, int max, bool required)
    {
        if (required && string.IsNullOrWhiteSpace(value))
        {
            violations.Add(new(field, "is required"));
        }
        else if (value is not null && value.Length > max)
        {
            violations.Add(new(field, $"is longer than {max} characters"));
        }
        else if (value is not null && value.Any(char.IsControl))
        {
            violations.Add(new(field, "contains control characters"));
        }
    }
}
