using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Mesh.Auditing;
using Mesh.Domain;
using Mesh.Errors;
using Mesh.Identity;
using Mesh.Signing;
using Mesh.State;

namespace Mesh.Registry.Domain;

/// <summary>
/// The registry's operations: agencies and their hierarchy, certificate bindings, trust
/// anchors and CRLs, the change feed. Every write is one state transaction that also appends
/// to the change feed and, when a request id is given, records the request for idempotency,
/// so nothing is ever half-written. Certificates are validated before they are bound by the signature
/// engine (<see cref="ICertificateValidator"/>: RFC 5280 with the registry's own anchors and CRLs).
/// </summary>
public sealed class AgencyRegistry(IStateStore store, ICertificateValidator validator, RegistryChangeFeed feed, IAuditTrail audit, TimeProvider time, CertificateBindingPolicy? bindingPolicy = null)
{
    private readonly CertificateBindingPolicy policy = bindingPolicy ?? new CertificateBindingPolicy();

    private const int MaxRequestIdLength = 128;
    private const int MaxRetries = 16;

    /// <summary>Reads an agency; NOT_FOUND (AGENCY_NOT_FOUND) when missing.</summary>
    public async ValueTask<Versioned<Agency>> GetAsync(string organId, CancellationToken cancellationToken)
    {
        var id = OrganId.Parse(organId);
        return await FindAsync(id.Value, cancellationToken).ConfigureAwait(false)
            ?? throw MeshException.NotFound("AGENCY_NOT_FOUND", "agency", id.Value);
    }

    /// <summary>Reads an agency or returns null.</summary>
    public async ValueTask<Versioned<Agency>?> FindAsync(string organId, CancellationToken cancellationToken)
    {
        var item = await store.GetAsync(RegistryKeys.Agency(organId), cancellationToken).ConfigureAwait(false);
        return item is null ? null : new Versioned<Agency>(Read(item, RegistryJson.Default.Agency), item.ETag);
    }

    /// <summary>Lists agencies in OrganId order with filters; the page token is the last OrganId of the previous page.</summary>
    public async ValueTask<(IReadOnlyList<Versioned<Agency>> Page, string? Next)> ListAsync(AgencyFilter filter, int pageSize, string? after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        HashSet<string>? within = null;
        if (!string.IsNullOrEmpty(filter.ParentOrganId))
        {
            var parent = OrganId.Parse(filter.ParentOrganId, "parent_organ_id");
            within = filter.IncludeDescendants
                ? await DescendantsAsync(parent.Value, cancellationToken).ConfigureAwait(false)
                : [.. await ChildrenAsync(parent.Value, cancellationToken).ConfigureAwait(false)];
        }

        var results = new List<Versioned<Agency>>(pageSize);
        var cursor = string.IsNullOrEmpty(after) ? null : RegistryKeys.Agency(after);
        while (results.Count < pageSize)
        {
            var batch = await store.ScanAsync(RegistryKeys.AgencyPrefix, cursor, 256, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return (results, null);
            }

            foreach (var item in batch)
            {
                cursor = item.Key;
                var agency = Read(item, RegistryJson.Default.Agency);
                if (filter.Matches(agency) && (within is null || within.Contains(agency.OrganId)))
                {
                    results.Add(new Versioned<Agency>(agency, item.ETag));
                    if (results.Count == pageSize)
                    {
                        break;
                    }
                }
            }

            if (batch.Count < 256 && results.Count < pageSize)
            {
                return (results, null);
            }
        }

        // Only hand out a next token when something follows, so the last page says so.
        var more = await store.ScanAsync(RegistryKeys.AgencyPrefix, cursor, 1, cancellationToken).ConfigureAwait(false);
        return (results, more.Count == 0 ? null : results[^1].Value.OrganId);
    }

    /// <summary>Parents of an agency, nearest first.</summary>
    public async ValueTask<IReadOnlyList<Versioned<Agency>>> AncestorsAsync(string organId, CancellationToken cancellationToken)
    {
        var current = await GetAsync(organId, cancellationToken).ConfigureAwait(false);
        var result = new List<Versioned<Agency>>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { current.Value.OrganId };
        while (current.Value.ParentOrganId is { } parentId && seen.Add(parentId))
        {
            var parent = await FindAsync(parentId, cancellationToken).ConfigureAwait(false);
            if (parent is null)
            {
                break;
            }

            result.Add(parent);
            current = parent;
        }

        return result;
    }

    /// <summary>Registers an agency. Idempotent on <paramref name="requestId"/>.</summary>
    public async ValueTask<Versioned<Agency>> CreateAsync(string requestId, AgencyDraft draft, Caller actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        CheckRequestId(requestId);
        var (id, parent) = AgencyRules.Validate(draft);
        var fingerprint = Fingerprint("create", draft.OrganId, draft.ParentOrganId, draft.DisplayName, draft.ShortName, draft.Contacts?.ToString());
        if (await ReplayAsync(requestId, "create", fingerprint, RegistryJson.Default.Agency, cancellationToken).ConfigureAwait(false) is { } replay)
        {
            return replay;
        }

        var level = 1;
        if (parent is { } p)
        {
            var parentAgency = await FindAsync(p.Value, cancellationToken).ConfigureAwait(false)
                ?? throw MeshException.Precondition("PARENT_NOT_FOUND", $"Parent agency {p.Value} is not registered.");
            if (parentAgency.Value.State == AgencyState.Retired)
            {
                throw MeshException.Precondition("PARENT_NOT_ACTIVE", $"Parent agency {p.Value} is retired.");
            }

            level = parentAgency.Value.Level + 1;
            if (level > AgencyRules.MaxLevel)
            {
                throw MeshException.Precondition("HIERARCHY_TOO_DEEP", $"Agencies are at most {AgencyRules.MaxLevel} levels deep.");
            }
        }

        var now = time.GetUtcNow();
        var agency = new Agency(id.Value, parent?.Value, draft.DisplayName.Trim(), draft.ShortName?.Trim() ?? "", draft.Contacts ?? Contacts.None, AgencyState.Active, "", level, now, now);
        var key = RegistryKeys.Agency(id.Value);
        var ops = new List<StateOperation> { StateOperation.Upsert(key, Write(agency, RegistryJson.Default.Agency), ETag.Absent) };
        if (parent is { } pp)
        {
            ops.Add(StateOperation.Upsert(RegistryKeys.Child(pp.Value, id.Value), ReadOnlyMemory<byte>.Empty));
        }

        try
        {
            var etags = await CommitAsync(ops, ChangeKind.Agency, id.Value, false, new RequestRecord("create", fingerprint, key), requestId, cancellationToken).ConfigureAwait(false);
            await AuditAsync(actor, $"agency.created {id.Value}", cancellationToken).ConfigureAwait(false);
            return new Versioned<Agency>(agency, etags[0]);
        }
        catch (ETagMismatchException e) when (e.Key == key)
        {
            throw MeshException.AlreadyExists("AGENCY_ALREADY_EXISTS", "agency", id.Value);
        }
        catch (ETagMismatchException e) when (e.Key == RegistryKeys.Request(requestId))
        {
            // A concurrent repeat of the same request won the race; answer with its result.
            var replayed = await ReplayAsync(requestId, "create", fingerprint, RegistryJson.Default.Agency, cancellationToken).ConfigureAwait(false);
            if (replayed is null)
            {
                throw;
            }

            return replayed;
        }
    }

    /// <summary>Changes an agency's fields (not its id or state). Requires the current ETag.</summary>
    public async ValueTask<Versioned<Agency>> UpdateAsync(string requestId, AgencyDraft draft, string etag, Caller actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        CheckRequestId(requestId);
        var (id, parent) = AgencyRules.Validate(draft);
        var fingerprint = Fingerprint("update", draft.OrganId, draft.ParentOrganId, draft.DisplayName, draft.ShortName, draft.Contacts?.ToString(), etag);
        if (await ReplayAsync(requestId, "update", fingerprint, RegistryJson.Default.Agency, cancellationToken).ConfigureAwait(false) is { } replay)
        {
            return replay;
        }

        if (string.IsNullOrEmpty(etag))
        {
            throw MeshException.Invalid("ETAG_REQUIRED", "agency.etag", "is required to update an agency");
        }

        var current = await GetAsync(id.Value, cancellationToken).ConfigureAwait(false);
        if (current.ETag != etag)
        {
            throw new ETagMismatchException(RegistryKeys.Agency(id.Value));
        }

        var level = current.Value.Level;
        var ops = new List<StateOperation>();
        if (parent?.Value != current.Value.ParentOrganId)
        {
            level = 1;
            if (parent is { } p)
            {
                var parentAgency = await FindAsync(p.Value, cancellationToken).ConfigureAwait(false)
                    ?? throw MeshException.Precondition("PARENT_NOT_FOUND", $"Parent agency {p.Value} is not registered.");
                var ancestors = await AncestorsAsync(p.Value, cancellationToken).ConfigureAwait(false);
                if (ancestors.Any(a => a.Value.OrganId == id.Value))
                {
                    throw MeshException.Precondition("HIERARCHY_CYCLE", $"{p.Value} is below {id.Value}; moving {id.Value} under it would make a cycle.");
                }

                level = parentAgency.Value.Level + 1;
                ops.Add(StateOperation.Upsert(RegistryKeys.Child(p.Value, id.Value), ReadOnlyMemory<byte>.Empty));
            }

            if (current.Value.ParentOrganId is { } old)
            {
                ops.Add(StateOperation.Delete(RegistryKeys.Child(old, id.Value)));
            }
        }

        var updated = current.Value with
        {
            ParentOrganId = parent?.Value,
            DisplayName = draft.DisplayName.Trim(),
            ShortName = draft.ShortName?.Trim() ?? "",
            Contacts = draft.Contacts ?? Contacts.None,
            Level = level,
            UpdateTime = time.GetUtcNow(),
        };
        var key = RegistryKeys.Agency(id.Value);
        ops.Insert(0, StateOperation.Upsert(key, Write(updated, RegistryJson.Default.Agency), etag));
        var etags = await CommitAsync(ops, ChangeKind.Agency, id.Value, false, new RequestRecord("update", fingerprint, key), requestId, cancellationToken).ConfigureAwait(false);
        await AuditAsync(actor, $"agency.updated {id.Value}", cancellationToken).ConfigureAwait(false);
        return new Versioned<Agency>(updated, etags[0]);
    }

    /// <summary>Moves an agency between active, suspended and retired.</summary>
    public async ValueTask<Versioned<Agency>> ChangeStateAsync(string requestId, string organId, AgencyState state, string reason, string etag, Caller actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        CheckRequestId(requestId);
        var fingerprint = Fingerprint("state", organId, state.ToString(), reason, etag);
        if (await ReplayAsync(requestId, "state", fingerprint, RegistryJson.Default.Agency, cancellationToken).ConfigureAwait(false) is { } replay)
        {
            return replay;
        }

        var current = await GetAsync(organId, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(etag) && current.ETag != etag)
        {
            throw new ETagMismatchException(RegistryKeys.Agency(organId));
        }

        AgencyRules.CheckTransition(current.Value.State, state, reason);
        var updated = current.Value with { State = state, StateReason = state == AgencyState.Active ? "" : reason.Trim(), UpdateTime = time.GetUtcNow() };
        var key = RegistryKeys.Agency(current.Value.OrganId);
        var etags = await CommitAsync([StateOperation.Upsert(key, Write(updated, RegistryJson.Default.Agency), current.ETag)], ChangeKind.Agency, current.Value.OrganId, false, new RequestRecord("state", fingerprint, key), requestId, cancellationToken).ConfigureAwait(false);
        await AuditAsync(actor, $"agency.{state.ToString().ToLowerInvariant()} {current.Value.OrganId}: {reason}", cancellationToken).ConfigureAwait(false);
        return new Versioned<Agency>(updated, etags[0]);
    }

    /// <summary>Binds a certificate to an agency after validating it.</summary>
    public async ValueTask<CertificateBinding> BindAsync(string requestId, string organId, byte[] certificate, CertificatePurpose purpose, IReadOnlyList<CallerRole> roles, IReadOnlyList<byte[]> intermediates, Caller actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(roles);
        CheckRequestId(requestId);
        using var cert = ParseCertificate(certificate, "certificate");
        var thumbprint = Convert.ToHexStringLower(SHA256.HashData(cert.RawData));
        var fingerprint = Fingerprint("bind", organId, thumbprint, purpose.ToString(), string.Join(',', roles));
        if (await ReplayAsync(requestId, "bind", fingerprint, RegistryJson.Default.CertificateBinding, cancellationToken).ConfigureAwait(false) is { } replay)
        {
            return replay.Value;
        }

        var agency = await GetAsync(organId, cancellationToken).ConfigureAwait(false);
        if (agency.Value.State == AgencyState.Retired)
        {
            throw MeshException.Precondition("AGENCY_RETIRED", $"Agency {organId} is retired.");
        }

        var usage = purpose == CertificatePurpose.DocumentSigning ? CertificateUsage.DocumentSigning : CertificateUsage.ClientTls;
        var check = await validator.ValidateAsync(cert.RawData, [.. intermediates.Select(i => new ReadOnlyMemory<byte>(i))], usage, time.GetUtcNow(), policy.RequireRevocationData, cancellationToken).ConfigureAwait(false);
        if (!check.Passed)
        {
            // Anything short of TOTAL_PASSED is refused, INDETERMINATE included (e.g. a stale CRL): the operator
            // fixes the trust material and binds again. The sub-indication is the engine's, as a signature would get.
            var refusal = MeshException.Precondition("CERTIFICATE_UNTRUSTED", $"The certificate cannot be bound ({check.SubIndication}): {check.Reason}");
            refusal.Metadata["indication"] = check.Indication == SignatureIndication.TotalFailed ? "TOTAL_FAILED" : "INDETERMINATE";
            refusal.Metadata["sub_indication"] = check.SubIndication;
            throw refusal;
        }

        var effectiveRoles = purpose == CertificatePurpose.ClientTls
            ? (roles.Count == 0 ? [CallerRole.Agency] : roles.Distinct().Order().ToList())
            : [];
        var binding = new CertificateBinding(agency.Value.OrganId, thumbprint, purpose, effectiveRoles, cert.RawData, cert.Subject, cert.NotBefore.ToUniversalTime(), cert.NotAfter.ToUniversalTime(), time.GetUtcNow());
        var key = RegistryKeys.Binding(thumbprint);
        try
        {
            await CommitAsync(
                [
                    StateOperation.Upsert(key, Write(binding, RegistryJson.Default.CertificateBinding), ETag.Absent),
                    StateOperation.Upsert(RegistryKeys.AgencyBinding(agency.Value.OrganId, thumbprint), ReadOnlyMemory<byte>.Empty),
                ],
                ChangeKind.CertificateBinding,
                thumbprint,
                false,
                new RequestRecord("bind", fingerprint, key),
                requestId,
                cancellationToken).ConfigureAwait(false);
        }
        catch (ETagMismatchException e) when (e.Key == key)
        {
            throw MeshException.AlreadyExists("CERTIFICATE_ALREADY_BOUND", "certificate", thumbprint);
        }

        await AuditAsync(actor, $"certificate.bound {thumbprint} to {agency.Value.OrganId} ({purpose})", cancellationToken).ConfigureAwait(false);
        return binding;
    }

    /// <summary>Removes a binding.</summary>
    public async ValueTask UnbindAsync(string requestId, string organId, string thumbprint, Caller actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        CheckRequestId(requestId);
        var key = RegistryKeys.Binding(NormalizeThumbprint(thumbprint));
        var item = await store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            // Unbinding twice (a retried request) is not an error: the end state is the same.
            return;
        }

        var binding = Read(item, RegistryJson.Default.CertificateBinding);
        if (binding.OrganId != organId)
        {
            throw MeshException.NotFound("CERTIFICATE_NOT_BOUND", "certificate", thumbprint);
        }

        await CommitAsync([StateOperation.Delete(key, item.ETag), StateOperation.Delete(RegistryKeys.AgencyBinding(organId, binding.Thumbprint))], ChangeKind.CertificateBinding, binding.Thumbprint, false, null, null, cancellationToken).ConfigureAwait(false);
        await AuditAsync(actor, $"certificate.unbound {binding.Thumbprint} from {organId}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An agency's bindings.</summary>
    public async ValueTask<IReadOnlyList<CertificateBinding>> BindingsAsync(string organId, CancellationToken cancellationToken)
    {
        var id = OrganId.Parse(organId);
        var index = await ScanAllAsync(RegistryKeys.AgencyBindings(id.Value), cancellationToken).ConfigureAwait(false);
        var keys = index.Select(i => RegistryKeys.Binding(i.Key[RegistryKeys.AgencyBindings(id.Value).Length..])).ToList();
        var items = await store.GetBulkAsync(keys, cancellationToken).ConfigureAwait(false);
        return items.Select(i => Read(i, RegistryJson.Default.CertificateBinding)).OrderBy(b => b.Thumbprint, StringComparer.Ordinal).ToList();
    }

    /// <summary>Finds the binding of a certificate thumbprint, or null.</summary>
    public ValueTask<CertificateBinding?> FindBindingAsync(string thumbprint, CancellationToken cancellationToken) =>
        FindBindingAsync(store, thumbprint, cancellationToken);

    /// <summary>Reads a binding straight from the store (for readers that must not depend on the registry itself).</summary>
    internal static async ValueTask<CertificateBinding?> FindBindingAsync(IStateStore store, string thumbprint, CancellationToken cancellationToken)
    {
        var item = await store.GetAsync(RegistryKeys.Binding(NormalizeThumbprint(thumbprint)), cancellationToken).ConfigureAwait(false);
        return item is null ? null : Read(item, RegistryJson.Default.CertificateBinding);
    }

    /// <summary>Adds a root or intermediate CA.</summary>
    public async ValueTask<TrustAnchor> AddTrustAnchorAsync(string requestId, byte[] certificate, TrustAnchorKind kind, string label, Caller actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        CheckRequestId(requestId);
        using var cert = ParseCertificate(certificate, "certificate");
        var basic = cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (basic is null || !basic.CertificateAuthority)
        {
            throw MeshException.Invalid("NOT_A_CA_CERTIFICATE", "certificate", "is not a CA certificate (basicConstraints cA=true is required)");
        }

        if (kind == TrustAnchorKind.Root && cert.SubjectName.RawData.AsSpan().SequenceEqual(cert.IssuerName.RawData) is false)
        {
            throw MeshException.Invalid("ROOT_NOT_SELF_SIGNED", "certificate", "a root must be self-issued; add it as an intermediate instead");
        }

        var thumbprint = Convert.ToHexStringLower(SHA256.HashData(cert.RawData));
        var anchor = new TrustAnchor(thumbprint, kind, cert.RawData, cert.Subject, label ?? "", time.GetUtcNow());
        var existing = await store.GetAsync(RegistryKeys.Anchor(thumbprint), cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return Read(existing, RegistryJson.Default.TrustAnchor);
        }

        await CommitAsync([StateOperation.Upsert(RegistryKeys.Anchor(thumbprint), Write(anchor, RegistryJson.Default.TrustAnchor), ETag.Absent)], ChangeKind.TrustMaterial, thumbprint, true, null, null, cancellationToken).ConfigureAwait(false);
        await AuditAsync(actor, $"trust.anchor.added {thumbprint} {cert.Subject}", cancellationToken).ConfigureAwait(false);
        return anchor;
    }

    /// <summary>Removes a CA.</summary>
    public async ValueTask RemoveTrustAnchorAsync(string requestId, string thumbprint, Caller actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        CheckRequestId(requestId);
        var key = RegistryKeys.Anchor(NormalizeThumbprint(thumbprint));
        if (await store.GetAsync(key, cancellationToken).ConfigureAwait(false) is not { } item)
        {
            return;
        }

        await CommitAsync([StateOperation.Delete(key, item.ETag), StateOperation.Delete(RegistryKeys.Crl(NormalizeThumbprint(thumbprint)))], ChangeKind.TrustMaterial, thumbprint, true, null, null, cancellationToken).ConfigureAwait(false);
        await AuditAsync(actor, $"trust.anchor.removed {thumbprint}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores a CRL after checking it is signed by a known CA and newer than the stored one.</summary>
    public async ValueTask<CrlRecord> PublishCrlAsync(string requestId, byte[] crl, Caller actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        CheckRequestId(requestId);
        var parsed = CrlParser.Parse(crl);
        var anchors = await ScanAllAsync(RegistryKeys.AnchorPrefix, cancellationToken).ConfigureAwait(false);
        TrustAnchor? issuer = null;
        foreach (var item in anchors)
        {
            var anchor = Read(item, RegistryJson.Default.TrustAnchor);
            using var ca = X509CertificateLoader.LoadCertificate(anchor.CertificateDer);
            if (ca.SubjectName.RawData.AsSpan().SequenceEqual(parsed.IssuerName) && parsed.VerifySignature(ca))
            {
                issuer = anchor;
                break;
            }
        }

        if (issuer is null)
        {
            throw MeshException.Invalid("CRL_SIGNATURE_INVALID", "crl", "is not signed by any trust anchor or intermediate known to the registry");
        }

        var key = RegistryKeys.Crl(issuer.Thumbprint);
        var existing = await store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            var stored = Read(existing, RegistryJson.Default.CrlRecord);
            if (stored.ThisUpdate > parsed.ThisUpdate)
            {
                throw MeshException.Precondition("CRL_NOT_NEWER", $"The stored CRL of {issuer.Subject} (thisUpdate {stored.ThisUpdate:O}) is newer.");
            }

            if (stored.CrlDer.AsSpan().SequenceEqual(parsed.Der))
            {
                return stored;
            }
        }

        var record = new CrlRecord(issuer.Thumbprint, parsed.Der, parsed.CrlNumber, parsed.ThisUpdate, parsed.NextUpdate);
        await CommitAsync([StateOperation.Upsert(key, Write(record, RegistryJson.Default.CrlRecord), existing?.ETag ?? ETag.Absent)], ChangeKind.TrustMaterial, issuer.Thumbprint, true, null, null, cancellationToken).ConfigureAwait(false);
        await AuditAsync(actor, $"trust.crl.published {issuer.Thumbprint} #{parsed.CrlNumber}", cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>Every anchor and CRL with the trust version.</summary>
    public ValueTask<TrustMaterial> TrustMaterialAsync(CancellationToken cancellationToken) => new TrustMaterialReader(store).ReadAsync(cancellationToken);

    /// <summary>Changes after <paramref name="afterSequence"/>, oldest first.</summary>
    public async ValueTask<IReadOnlyList<RegistryChange>> ChangesAsync(long afterSequence, int limit, CancellationToken cancellationToken)
    {
        var items = await store.ScanAsync(RegistryKeys.ChangePrefix, afterSequence <= 0 ? null : RegistryKeys.Change(afterSequence), limit, cancellationToken).ConfigureAwait(false);
        return items.Select(i => Read(i, RegistryJson.Default.RegistryChange)).ToList();
    }

    /// <summary>The newest change sequence number.</summary>
    public async ValueTask<long> CurrentSequenceAsync(CancellationToken cancellationToken) =>
        (await ReadMetaAsync(cancellationToken).ConfigureAwait(false)).Value.Sequence;

    /// <summary>Whether any agency exists (first-run seeding).</summary>
    public async ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken) =>
        (await store.ScanAsync(RegistryKeys.AgencyPrefix, null, 1, cancellationToken).ConfigureAwait(false)).Count == 0;

    /// <summary>Every agency, in OrganId order.</summary>
    public async ValueTask<IReadOnlyList<Agency>> AllAsync(CancellationToken cancellationToken) =>
        (await ScanAllAsync(RegistryKeys.AgencyPrefix, cancellationToken).ConfigureAwait(false)).Select(i => Read(i, RegistryJson.Default.Agency)).ToList();

    private async ValueTask<IReadOnlyList<string>> ChildrenAsync(string parent, CancellationToken cancellationToken)
    {
        var prefix = RegistryKeys.Children(parent);
        return (await ScanAllAsync(prefix, cancellationToken).ConfigureAwait(false)).Select(i => i.Key[prefix.Length..]).ToList();
    }

    private async ValueTask<HashSet<string>> DescendantsAsync(string root, CancellationToken cancellationToken)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>([root]);
        while (queue.TryDequeue(out var next))
        {
            foreach (var child in await ChildrenAsync(next, cancellationToken).ConfigureAwait(false))
            {
                if (result.Add(child))
                {
                    queue.Enqueue(child);
                }
            }
        }

        return result;
    }

    private ValueTask<List<StateItem>> ScanAllAsync(string prefix, CancellationToken cancellationToken) => store.ScanAllAsync(prefix, cancellationToken);

    private async ValueTask<Versioned<RegistryMeta>> ReadMetaAsync(CancellationToken cancellationToken)
    {
        var item = await store.GetAsync(RegistryKeys.Meta, cancellationToken).ConfigureAwait(false);
        return item is null ? new Versioned<RegistryMeta>(new RegistryMeta(0, 0), ETag.Absent) : new Versioned<RegistryMeta>(Read(item, RegistryJson.Default.RegistryMeta), item.ETag);
    }

    // One transaction: the entity operations, the request record, the next change-feed entry and
    // the sequence counter (guarded by its ETag, so concurrent writers serialise on it and retry).
    private async ValueTask<IReadOnlyList<string>> CommitAsync(List<StateOperation> operations, ChangeKind kind, string subject, bool trustChange, RequestRecord? request, string? requestId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var meta = await ReadMetaAsync(cancellationToken).ConfigureAwait(false);
            var next = new RegistryMeta(meta.Value.Sequence + 1, trustChange ? meta.Value.TrustVersion + 1 : meta.Value.TrustVersion);
            var change = new RegistryChange(next.Sequence, kind, subject, time.GetUtcNow(), next.TrustVersion);
            var all = new List<StateOperation>(operations)
            {
                StateOperation.Upsert(RegistryKeys.Meta, Write(next, RegistryJson.Default.RegistryMeta), meta.ETag),
                StateOperation.Upsert(RegistryKeys.Change(next.Sequence), Write(change, RegistryJson.Default.RegistryChange), ETag.Absent),
            };
            if (request is not null && requestId is not null)
            {
                all.Add(StateOperation.Upsert(RegistryKeys.Request(requestId), Write(request, RegistryJson.Default.RequestRecord), ETag.Absent));
            }

            try
            {
                var etags = await store.TransactAsync(all, cancellationToken).ConfigureAwait(false);
                feed.Publish(change);
                return etags;
            }
            catch (ETagMismatchException e) when ((e.Key == RegistryKeys.Meta || e.Key == RegistryKeys.Change(next.Sequence)) && attempt < MaxRetries)
            {
                // Another writer took this sequence number; read it again and retry.
            }
        }
    }

    private async ValueTask<Versioned<T>?> ReplayAsync<T>(string requestId, string operation, string fingerprint, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var item = await store.GetAsync(RegistryKeys.Request(requestId), cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return null;
        }

        var record = Read(item, RegistryJson.Default.RequestRecord);
        if (record.Operation != operation || record.Fingerprint != fingerprint)
        {
            throw MeshException.Precondition("REQUEST_ID_REUSED", $"Request id '{requestId}' was already used for a different request.");
        }

        var result = await store.GetAsync(record.ResultKey, cancellationToken).ConfigureAwait(false)
            ?? throw MeshException.Precondition("REQUEST_ID_REUSED", $"The result of request '{requestId}' no longer exists.");
        return new Versioned<T>(Read(result, type), result.ETag);
    }

    private ValueTask<long> AuditAsync(Caller actor, string detail, CancellationToken cancellationToken) =>
        audit.RecordAsync(
            new AuditRecord(AuditEventTypes.RegistryChanged, time.GetUtcNow(), actor.OrganId)
            {
                Detail = detail.Length > 1024 ? detail[..1024] : detail,
                TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? "",
            },
            cancellationToken);

    private static void CheckRequestId(string requestId)
    {
        if (string.IsNullOrWhiteSpace(requestId))
        {
            throw MeshException.Invalid("REQUEST_ID_REQUIRED", "request_id", "is required (a client-chosen idempotency key)");
        }

        if (requestId.Length > MaxRequestIdLength || requestId.Any(c => char.IsControl(c) || c == '/'))
        {
            throw MeshException.Invalid("REQUEST_ID_INVALID", "request_id", $"must be at most {MaxRequestIdLength} printable characters without '/'");
        }
    }

    internal static string NormalizeThumbprint(string thumbprint)
    {
        var t = (thumbprint ?? "").Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        if (t.Length != 64 || !t.All(Uri.IsHexDigit))
        {
            throw MeshException.Invalid("THUMBPRINT_INVALID", "thumbprint", "must be a SHA-256 thumbprint: 64 hexadecimal digits");
        }

        return t;
    }

    internal static X509Certificate2 ParseCertificate(byte[] data, string field)
    {
        if (data is null || data.Length == 0)
        {
            throw MeshException.Invalid("CERTIFICATE_REQUIRED", field, "is required");
        }

        try
        {
            var text = data[0] == (byte)'-' ? Encoding.ASCII.GetString(data) : null;
            return text is not null ? X509Certificate2.CreateFromPem(text) : X509CertificateLoader.LoadCertificate(data);
        }
        catch (CryptographicException ex)
        {
            throw new MeshException(ErrorKind.InvalidArgument, "CERTIFICATE_MALFORMED", $"{field}: not a DER or PEM X.509 certificate", [new FieldViolation(field, "not a DER or PEM X.509 certificate")], ex);
        }
    }

    private static string Fingerprint(params string?[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts.Select(p => p ?? "")))));

    private static T Read<T>(StateItem item, JsonTypeInfo<T> type) => JsonSerializer.Deserialize(item.Value.Span, type)!;

    private static byte[] Write<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);
}

/// <summary>Filters of <see cref="AgencyRegistry.ListAsync"/>.</summary>
public sealed record AgencyFilter(string? ParentOrganId = null, bool IncludeDescendants = false, AgencyState? State = null, string? NameContains = null, int Level = 0)
{
    /// <summary>Whether an agency passes the non-hierarchy filters.</summary>
    public bool Matches(Agency agency)
    {
        ArgumentNullException.ThrowIfNull(agency);
        return (State is null || agency.State == State)
            && (Level == 0 || agency.Level == Level)
            && (string.IsNullOrEmpty(NameContains)
                || agency.DisplayName.Contains(NameContains, StringComparison.OrdinalIgnoreCase)
                || agency.ShortName.Contains(NameContains, StringComparison.OrdinalIgnoreCase));
    }
}
