using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Mesh.Domain;

/// <summary>
/// An agency identifier (mã định danh). Opaque, at most 35 characters (QCVN 102:2016 amendment
/// 1:2022 raised the limit from 13 to 35 for QĐ 20/2020 codes). The legacy QCVN 102 form
/// <c>ddd.dd.dd.Ldd</c> is written lowest level first: <c>000.00.00.G22</c> is Văn phòng Chính phủ,
/// <c>000.00.18.G12</c> is Tổng cục Thuế under Bộ Tài chính <c>000.00.00.G12</c>.
/// QĐ 20/2020 codes are written top-down with dot-separated segments (e.g. <c>G09.20</c>,
/// <c>H37.DN.001</c>); their exact structure is not confirmed, so they are checked only for a safe
/// alphabet: upper-case letters, digits, dots and hyphens, starting with a letter (a digit-first
/// code must be a well-formed legacy code, so a mistyped legacy code is not silently accepted).
/// </summary>
public readonly partial record struct OrganId : IComparable<OrganId>
{
    /// <summary>Maximum length (QCVN 102:2016 SĐ1:2022).</summary>
    public const int MaxLength = 35;

    private OrganId(string value, bool isLegacy)
    {
        Value = value;
        IsLegacy = isLegacy;
    }

    /// <summary>The identifier as written.</summary>
    public string Value { get; }

    /// <summary>Whether it has the legacy QCVN 102 form <c>ddd.dd.dd.Ldd</c>.</summary>
    public bool IsLegacy { get; }

    /// <summary>
    /// For a legacy code, its hierarchy level: 1 for <c>000.00.00.Ldd</c> (ministry, province),
    /// 2 when only <c>Y1Y2</c> is set, 3 when <c>Z1Z2</c> is set, 4 when <c>V1V2V3</c> is set. 0 for QĐ 20 codes.
    /// </summary>
    public int LegacyLevel
    {
        get
        {
            if (!IsLegacy)
            {
                return 0;
            }

            var parts = Value.Split('.');
            return parts[0] != "000" ? 4 : parts[1] != "00" ? 3 : parts[2] != "00" ? 2 : 1;
        }
    }

    /// <summary>
    /// For a legacy code below level 1, the code of its implied parent (the next level up: the
    /// lowest non-zero segment zeroed), e.g. <c>000.00.18.G12</c> → <c>000.00.00.G12</c>. The registry keeps
    /// an explicit parent pointer; this is only a default and a consistency hint.
    /// </summary>
    public OrganId? ImpliedParent
    {
        get
        {
            if (!IsLegacy || LegacyLevel == 1)
            {
                return null;
            }

            var parts = Value.Split('.');
            if (parts[0] != "000")
            {
                parts[0] = "000";
            }
            else if (parts[1] != "00")
            {
                parts[1] = "00";
            }
            else
            {
                parts[2] = "00";
            }

            return new OrganId(string.Join('.', parts), true);
        }
    }

    /// <summary>Parses an identifier; throws <see cref="Errors.MeshException"/> (INVALID_ARGUMENT, ORGAN_ID_INVALID) when malformed.</summary>
    public static OrganId Parse(string? value, string field = "organ_id")
    {
        if (TryParse(value, out var id, out var problem))
        {
            return id;
        }

        throw Errors.MeshException.Invalid("ORGAN_ID_INVALID", field, problem);
    }

    /// <summary>Tries to parse an identifier.</summary>
    public static bool TryParse(string? value, out OrganId organId) => TryParse(value, out organId, out _);

    /// <summary>Tries to parse an identifier, saying what is wrong when it fails.</summary>
    public static bool TryParse(string? value, out OrganId organId, [NotNullWhen(false)] out string? problem)
    {
        organId = default;
        if (string.IsNullOrEmpty(value))
        {
            problem = "is required";
            return false;
        }

        if (value.Length > MaxLength)
        {
            problem = $"is longer than {MaxLength} characters";
            return false;
        }

        if (LegacyPattern().IsMatch(value))
        {
            organId = new OrganId(value, true);
            problem = null;
            return true;
        }

        if (Qd20Pattern().IsMatch(value))
        {
            organId = new OrganId(value, false);
            problem = null;
            return true;
        }

        problem = $"'{value}' is neither a QCVN 102 code (ddd.dd.dd.Ldd) nor a QĐ 20/2020 code (upper-case letters, digits, '.', '-')";
        return false;
    }

    /// <inheritdoc />
    public int CompareTo(OrganId other) => string.CompareOrdinal(Value, other.Value);

    /// <inheritdoc />
    public override string ToString() => Value ?? "";

    [GeneratedRegex(@"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex LegacyPattern();

    // A letter first, then segments of letters/digits separated by single dots or hyphens; no leading/trailing separator.
    [GeneratedRegex(@"^[A-Z][A-Z0-9]*(?:[.\-][A-Z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Qd20Pattern();
}
