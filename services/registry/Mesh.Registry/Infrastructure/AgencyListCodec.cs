using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using Mesh.Errors;
using Mesh.Registry.Domain;

namespace Mesh.Registry.Infrastructure;

/// <summary>Reads and writes agency lists as JSON or CSV (RFC 4180, via CsvHelper).</summary>
public static class AgencyListCodec
{
    /// <summary>Largest accepted list (bytes).</summary>
    public const int MaxImportBytes = 16 * 1024 * 1024;

    private static readonly CsvConfiguration Csv = new(CultureInfo.InvariantCulture)
    {
        PrepareHeaderForMatch = a => a.Header.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant(),
        MissingFieldFound = null,
        HeaderValidated = null,
    };

    /// <summary>Parses a JSON array of agencies.</summary>
    public static IReadOnlyList<AgencyDraftRow> ReadJson(ReadOnlySpan<byte> content)
    {
        try
        {
            return JsonSerializer.Deserialize(content, RegistryJson.Default.ListAgencyDraftRow) ?? [];
        }
        catch (JsonException ex)
        {
            throw new MeshException(ErrorKind.InvalidArgument, "AGENCY_LIST_MALFORMED", $"content: not a JSON array of agencies ({ex.Message})", [new FieldViolation("content", ex.Message)], ex);
        }
    }

    /// <summary>Parses CSV with a header row (organ_id,parent_organ_id,display_name,short_name,email,telephone,fax,website,address,state).</summary>
    public static IReadOnlyList<AgencyDraftRow> ReadCsv(ReadOnlySpan<byte> content)
    {
        using var reader = new StringReader(Encoding.UTF8.GetString(content));
        using var csv = new CsvReader(reader, Csv);
        try
        {
            return csv.GetRecords<AgencyCsvRow>().Select(r => r.ToRow()).ToList();
        }
        catch (CsvHelperException ex)
        {
            throw new MeshException(ErrorKind.InvalidArgument, "AGENCY_LIST_MALFORMED", $"content: malformed CSV at row {ex.Context?.Parser?.Row}", [new FieldViolation("content", ex.Message)], ex);
        }
    }

    /// <summary>Writes agencies as a JSON array.</summary>
    public static byte[] WriteJson(IEnumerable<Agency> agencies) =>
        JsonSerializer.SerializeToUtf8Bytes(agencies.Select(ToRow).ToList(), RegistryJson.Default.ListAgencyDraftRow);

    /// <summary>Writes agencies as CSV with a header row.</summary>
    public static byte[] WriteCsv(IEnumerable<Agency> agencies)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new CsvWriter(writer, new CsvConfiguration(CultureInfo.InvariantCulture)))
        {
            csv.Context.RegisterClassMap<AgencyCsvRowMap>();
            csv.WriteRecords(agencies.Select(a => AgencyCsvRow.From(ToRow(a))));
        }

        return Encoding.UTF8.GetBytes(writer.ToString());
    }

    private static AgencyDraftRow ToRow(Agency a) =>
        new(a.OrganId, a.ParentOrganId, a.DisplayName, a.ShortName, a.Contacts.Email, a.Contacts.Telephone, a.Contacts.Fax, a.Contacts.Website, a.Contacts.Address, a.State.ToString().ToLowerInvariant());

    private sealed class AgencyCsvRow
    {
        public string OrganId { get; set; } = "";
        public string? ParentOrganId { get; set; }
        public string DisplayName { get; set; } = "";
        public string? ShortName { get; set; }
        public string? Email { get; set; }
        public string? Telephone { get; set; }
        public string? Fax { get; set; }
        public string? Website { get; set; }
        public string? Address { get; set; }
        public string? State { get; set; }

        public static AgencyCsvRow From(AgencyDraftRow r) => new()
        {
            OrganId = r.OrganId, ParentOrganId = r.ParentOrganId, DisplayName = r.DisplayName, ShortName = r.ShortName, Email = r.Email,
            Telephone = r.Telephone, Fax = r.Fax, Website = r.Website, Address = r.Address, State = r.State,
        };

        public AgencyDraftRow ToRow() => new(OrganId, ParentOrganId, DisplayName, ShortName, Email, Telephone, Fax, Website, Address, State);
    }

    private sealed class AgencyCsvRowMap : ClassMap<AgencyCsvRow>
    {
        public AgencyCsvRowMap()
        {
            Map(m => m.OrganId).Name("organ_id");
            Map(m => m.ParentOrganId).Name("parent_organ_id");
            Map(m => m.DisplayName).Name("display_name");
            Map(m => m.ShortName).Name("short_name");
            Map(m => m.Email).Name("email");
            Map(m => m.Telephone).Name("telephone");
            Map(m => m.Fax).Name("fax");
            Map(m => m.Website).Name("website");
            Map(m => m.Address).Name("address");
            Map(m => m.State).Name("state");
        }
    }
}
