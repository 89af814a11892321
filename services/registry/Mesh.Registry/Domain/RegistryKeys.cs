using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.Registry.Domain;

/// <summary>
/// How the registry lays itself out on <see cref="Mesh.State.IStateStore"/>: one key per
/// entity plus index keys, so the only query a backend answers is an ordered prefix scan.
/// </summary>
internal static class RegistryKeys
{
    public const string AgencyPrefix = "registry/agency/";
    public const string ChildrenPrefix = "registry/children/";
    public const string BindingPrefix = "registry/binding/";
    public const string AgencyBindingPrefix = "registry/agency-binding/";
    public const string AnchorPrefix = "registry/anchor/";
    public const string CrlPrefix = "registry/crl/";
    public const string ChangePrefix = "registry/change/";
    public const string RequestPrefix = "registry/request/";
    public const string Meta = "registry/meta";

    public static string Agency(string organId) => AgencyPrefix + organId;
    public static string Child(string parent, string child) => $"{ChildrenPrefix}{parent}/{child}";
    public static string Children(string parent) => $"{ChildrenPrefix}{parent}/";
    public static string Binding(string thumbprint) => BindingPrefix + thumbprint;
    public static string AgencyBinding(string organId, string thumbprint) => $"{AgencyBindingPrefix}{organId}/{thumbprint}";
    public static string AgencyBindings(string organId) => $"{AgencyBindingPrefix}{organId}/";
    public static string Anchor(string thumbprint) => AnchorPrefix + thumbprint;
    public static string Crl(string issuerThumbprint) => CrlPrefix + issuerThumbprint;
    public static string Change(long sequence) => ChangePrefix + sequence.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
    public static string Request(string requestId) => RequestPrefix + requestId;
}

/// <summary>The registry's sequence numbers: the change feed position and the trust-store version.</summary>
internal sealed record RegistryMeta(long Sequence, long TrustVersion);

/// <summary>What an idempotent request produced: a repeat with the same id and fingerprint returns it.</summary>
internal sealed record RequestRecord(string Operation, string Fingerprint, string ResultKey);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Agency))]
[JsonSerializable(typeof(CertificateBinding))]
[JsonSerializable(typeof(TrustAnchor))]
[JsonSerializable(typeof(CrlRecord))]
[JsonSerializable(typeof(RegistryChange))]
[JsonSerializable(typeof(RegistryMeta))]
[JsonSerializable(typeof(RequestRecord))]
[JsonSerializable(typeof(List<AgencyDraftRow>))]
internal sealed partial class RegistryJson : JsonSerializerContext;

/// <summary>One row of an agency list (import/export).</summary>
public sealed record AgencyDraftRow(
    string OrganId,
    string? ParentOrganId,
    string DisplayName,
    string? ShortName,
    string? Email,
    string? Telephone,
    string? Fax,
    string? Website,
    string? Address,
    string? State)
{
    /// <summary>The row as a draft.</summary>
    public AgencyDraft ToDraft() => new(OrganId, string.IsNullOrWhiteSpace(ParentOrganId) ? null : ParentOrganId, DisplayName, ShortName ?? "", new Contacts("", Address ?? "", Email ?? "", Telephone ?? "", Fax ?? "", Website ?? ""));
}
