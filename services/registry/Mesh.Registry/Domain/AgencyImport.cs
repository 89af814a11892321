using System.Security.Cryptography;
using System.Text;
using Mesh.Domain;
using Mesh.Errors;
using Mesh.Identity;

namespace Mesh.Registry.Domain;

/// <summary>The outcome of an import.</summary>
public sealed record ImportResult(int Created, int Updated, int Unchanged);

/// <summary>
/// Imports an agency list: every row is validated (fields, duplicates, parents present in the
/// registry or earlier in the list, no cycles) before anything is written; then parents are
/// written before children. Rows never delete agencies.
/// </summary>
public sealed class AgencyImport(AgencyRegistry registry)
{
    /// <summary>Largest list accepted in one import.</summary>
    public const int MaxRows = 50_000;

    /// <summary>Imports the rows.</summary>
    public async ValueTask<ImportResult> ImportAsync(string requestId, IReadOnlyList<AgencyDraftRow> rows, Caller actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (string.IsNullOrWhiteSpace(requestId))
        {
            throw MeshException.Invalid("REQUEST_ID_REQUIRED", "request_id", "is required (a client-chosen idempotency key)");
        }

        if (rows.Count > MaxRows)
        {
            throw MeshException.Invalid("AGENCY_LIST_TOO_LARGE", "content", $"has more than {MaxRows} agencies");
        }

        var drafts = new Dictionary<string, AgencyDraft>(StringComparer.Ordinal);
        var violations = new List<FieldViolation>();
        for (var i = 0; i < rows.Count; i++)
        {
            var draft = rows[i].ToDraft();
            try
            {
                AgencyRules.Validate(draft);
                if (!drafts.TryAdd(draft.OrganId, draft))
                {
                    violations.Add(new($"rows[{i}].organ_id", $"{draft.OrganId} appears twice"));
                }
            }
            catch (MeshException ex)
            {
                violations.AddRange(ex.Violations.Select(v => v with { Field = $"rows[{i}].{v.Field.Replace("agency.", "", StringComparison.Ordinal)}" }));
            }
        }

        var ordered = new List<AgencyDraft>();
        if (violations.Count == 0)
        {
            ordered = await OrderParentsFirstAsync(drafts, violations, cancellationToken).ConfigureAwait(false);
        }

        if (violations.Count > 0)
        {
            throw new MeshException(ErrorKind.InvalidArgument, "AGENCY_LIST_INVALID", $"{violations.Count} problem(s) in the list; nothing was imported. First: {violations[0].Field}: {violations[0].Description}", violations);
        }

        int created = 0, updated = 0, unchanged = 0;
        foreach (var draft in ordered)
        {
            var rowRequest = RowRequestId(requestId, draft.OrganId);
            var existing = await registry.FindAsync(draft.OrganId, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                await registry.CreateAsync(rowRequest, draft, actor, cancellationToken).ConfigureAwait(false);
                created++;
            }
            else if (Same(existing.Value, draft))
            {
                unchanged++;
            }
            else
            {
                await registry.UpdateAsync(rowRequest, draft, existing.ETag, actor, cancellationToken).ConfigureAwait(false);
                updated++;
            }
        }

        return new ImportResult(created, updated, unchanged);
    }

    private async ValueTask<List<AgencyDraft>> OrderParentsFirstAsync(Dictionary<string, AgencyDraft> drafts, List<FieldViolation> violations, CancellationToken cancellationToken)
    {
        var ordered = new List<AgencyDraft>(drafts.Count);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        foreach (var id in drafts.Keys.Order(StringComparer.Ordinal))
        {
            await VisitAsync(id, []).ConfigureAwait(false);
        }

        return ordered;

        async ValueTask VisitAsync(string id, List<string> path)
        {
            if (state.TryGetValue(id, out var s))
            {
                if (s == 1)
                {
                    violations.Add(new($"{id}.parent_organ_id", $"cycle: {string.Join(" → ", path)} → {id}"));
                }

                return;
            }

            state[id] = 1;
            var draft = drafts[id];
            if (draft.ParentOrganId is { } parent)
            {
                if (drafts.ContainsKey(parent))
                {
                    await VisitAsync(parent, [.. path, id]).ConfigureAwait(false);
                }
                else if (await registry.FindAsync(OrganId.Parse(parent).Value, cancellationToken).ConfigureAwait(false) is null)
                {
                    violations.Add(new($"{id}.parent_organ_id", $"parent {parent} is neither registered nor in the list"));
                }
            }

            state[id] = 2;
            ordered.Add(draft);
        }
    }

    private static bool Same(Agency a, AgencyDraft d) =>
        a.ParentOrganId == d.ParentOrganId && a.DisplayName == d.DisplayName.Trim() && a.ShortName == (d.ShortName ?? "").Trim() && a.Contacts == (d.Contacts ?? Contacts.None);

    private static string RowRequestId(string requestId, string organId) =>
        "import-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestId + "\u001f" + organId)))[..40];
}
