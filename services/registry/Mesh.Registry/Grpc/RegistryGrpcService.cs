using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Errors;
using Mesh.Registry.Domain;
using Mesh.Registry.Infrastructure;
using Mesh.ServiceDefaults.Identity;
using Proto = Mesh.Contracts.Registry.V1;

namespace Mesh.Registry.Grpc;

/// <summary>The registry's gRPC API: validates, maps, calls the domain.</summary>
public sealed class RegistryGrpcService(AgencyRegistry registry, AgencyImport import, RegistryChangeFeed feed, CallerAccessor callers) : Proto.RegistryService.RegistryServiceBase
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    /// <inheritdoc />
    public override async Task<Proto.GetAgencyResponse> GetAgency(Proto.GetAgencyRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var agency = await registry.GetAsync(request.OrganId, context.CancellationToken).ConfigureAwait(false);
        return new Proto.GetAgencyResponse { Agency = agency.ToProto() };
    }

    /// <inheritdoc />
    public override async Task<Proto.ListAgenciesResponse> ListAgencies(Proto.ListAgenciesRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var pageSize = PageSize(request.PageSize);
        var after = DecodePageToken(request.PageToken);
        var filter = new AgencyFilter(
            request.ParentOrganId,
            request.IncludeDescendants,
            RegistryMapping.ToDomain(request.State, "state", allowUnspecified: true),
            request.NameContains,
            request.Level);
        var (page, next) = await registry.ListAsync(filter, pageSize, after, context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.ListAgenciesResponse { NextPageToken = next is null ? "" : EncodePageToken(next) };
        response.Agencies.AddRange(page.Select(a => a.ToProto()));
        return response;
    }

    /// <inheritdoc />
    public override async Task<Proto.ListAgencyAncestorsResponse> ListAgencyAncestors(Proto.ListAgencyAncestorsRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var ancestors = await registry.AncestorsAsync(request.OrganId, context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.ListAgencyAncestorsResponse();
        response.Ancestors.AddRange(ancestors.Select(a => a.ToProto()));
        return response;
    }

    /// <inheritdoc />
    public override async Task<Proto.CreateAgencyResponse> CreateAgency(Proto.CreateAgencyRequest request, ServerCallContext context)
    {
        var admin = await callers.RequireAdminAsync(context).ConfigureAwait(false);
        var created = await registry.CreateAsync(request.RequestId, request.Agency.ToDraft(), admin, context.CancellationToken).ConfigureAwait(false);
        return new Proto.CreateAgencyResponse { Agency = created.ToProto() };
    }

    /// <inheritdoc />
    public override async Task<Proto.UpdateAgencyResponse> UpdateAgency(Proto.UpdateAgencyRequest request, ServerCallContext context)
    {
        var admin = await callers.RequireAdminAsync(context).ConfigureAwait(false);
        var updated = await registry.UpdateAsync(request.RequestId, request.Agency.ToDraft(), request.Agency?.Etag ?? "", admin, context.CancellationToken).ConfigureAwait(false);
        return new Proto.UpdateAgencyResponse { Agency = updated.ToProto() };
    }

    /// <inheritdoc />
    public override async Task<Proto.ChangeAgencyStateResponse> ChangeAgencyState(Proto.ChangeAgencyStateRequest request, ServerCallContext context)
    {
        var admin = await callers.RequireAdminAsync(context).ConfigureAwait(false);
        var state = RegistryMapping.ToDomain(request.State, "state", allowUnspecified: false)!.Value;
        var changed = await registry.ChangeStateAsync(request.RequestId, request.OrganId, state, request.Reason, request.Etag, admin, context.CancellationToken).ConfigureAwait(false);
        return new Proto.ChangeAgencyStateResponse { Agency = changed.ToProto() };
    }

    /// <inheritdoc />
    public override async Task<Proto.BindCertificateResponse> BindCertificate(Proto.BindCertificateRequest request, ServerCallContext context)
    {
        var admin = await callers.RequireAdminAsync(context).ConfigureAwait(false);
        var binding = await registry.BindAsync(
            request.RequestId,
            request.OrganId,
            request.Certificate.ToByteArray(),
            RegistryMapping.ToDomain(request.Purpose),
            request.Roles.Select(RegistryMapping.ToDomain).ToList(),
            request.Intermediates.Select(i => i.ToByteArray()).ToList(),
            admin,
            context.CancellationToken).ConfigureAwait(false);
        return new Proto.BindCertificateResponse { Binding = binding.ToProto() };
    }

    /// <inheritdoc />
    public override async Task<Proto.UnbindCertificateResponse> UnbindCertificate(Proto.UnbindCertificateRequest request, ServerCallContext context)
    {
        var admin = await callers.RequireAdminAsync(context).ConfigureAwait(false);
        await registry.UnbindAsync(request.RequestId, request.OrganId, request.Thumbprint, admin, context.CancellationToken).ConfigureAwait(false);
        return new Proto.UnbindCertificateResponse();
    }

    /// <inheritdoc />
    public override async Task<Proto.ListCertificateBindingsResponse> ListCertificateBindings(Proto.ListCertificateBindingsRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var response = new Proto.ListCertificateBindingsResponse();
        response.Bindings.AddRange((await registry.BindingsAsync(request.OrganId, context.CancellationToken).ConfigureAwait(false)).Select(b => b.ToProto()));
        return response;
    }

    /// <inheritdoc />
    public override async Task<Proto.ResolveCertificateResponse> ResolveCertificate(Proto.ResolveCertificateRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var binding = await registry.FindBindingAsync(request.Thumbprint, context.CancellationToken).ConfigureAwait(false)
            ?? throw MeshException.NotFound("CERTIFICATE_NOT_BOUND", "certificate", request.Thumbprint);
        var agency = await registry.FindAsync(binding.OrganId, context.CancellationToken).ConfigureAwait(false);
        return new Proto.ResolveCertificateResponse
        {
            Binding = binding.ToProto(),
            AgencyState = agency is null ? Contracts.Common.V1.LifecycleState.Unspecified : RegistryMapping.ToProto(agency.Value.State),
        };
    }

    /// <inheritdoc />
    public override async Task<Proto.AddTrustAnchorResponse> AddTrustAnchor(Proto.AddTrustAnchorRequest request, ServerCallContext context)
    {
        var admin = await callers.RequireAdminAsync(context).ConfigureAwait(false);
        var kind = request.Kind switch
        {
            Proto.TrustAnchorKind.Root => TrustAnchorKind.Root,
            Proto.TrustAnchorKind.Intermediate => TrustAnchorKind.Intermediate,
            _ => throw MeshException.Invalid("KIND_INVALID", "kind", "must be ROOT or INTERMEDIATE"),
        };
        var anchor = await registry.AddTrustAnchorAsync(request.RequestId, request.Certificate.ToByteArray(), kind, request.Label, admin, context.CancellationToken).ConfigureAwait(false);
        return new Proto.AddTrustAnchorResponse { TrustAnchor = anchor.ToProto() };
    }

    /// <inheritdoc />
    public override async Task<Proto.RemoveTrustAnchorResponse> RemoveTrustAnchor(Proto.RemoveTrustAnchorRequest request, ServerCallContext context)
    {
        var admin = await callers.RequireAdminAsync(context).ConfigureAwait(false);
        await registry.RemoveTrustAnchorAsync(request.RequestId, request.Thumbprint, admin, context.CancellationToken).ConfigureAwait(false);
        return new Proto.RemoveTrustAnchorResponse();
    }

    /// <inheritdoc />
    public override async Task<Proto.PublishCrlResponse> PublishCrl(Proto.PublishCrlRequest request, ServerCallContext context)
    {
        var admin = await callers.RequireAdminAsync(context).ConfigureAwait(false);
        var crl = await registry.PublishCrlAsync(request.RequestId, request.Crl.ToByteArray(), admin, context.CancellationToken).ConfigureAwait(false);
        return new Proto.PublishCrlResponse { Crl = crl.ToProto() };
    }

    /// <inheritdoc />
    public override async Task<Proto.GetTrustMaterialResponse> GetTrustMaterial(Proto.GetTrustMaterialRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var trust = await registry.TrustMaterialAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.GetTrustMaterialResponse { Version = trust.Version };
        response.TrustAnchors.AddRange(trust.Anchors.Select(a => a.ToProto()));
        response.Crls.AddRange(trust.Crls.Select(c => c.ToProto()));
        return response;
    }

    /// <inheritdoc />
    public override async Task WatchChanges(Proto.WatchChangesRequest request, IServerStreamWriter<Proto.WatchChangesResponse> responseStream, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var ct = context.CancellationToken;
        long cursor;
        if (string.IsNullOrEmpty(request.Cursor))
        {
            cursor = await registry.CurrentSequenceAsync(ct).ConfigureAwait(false);
        }
        else if (!long.TryParse(request.Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out cursor))
        {
            throw MeshException.Invalid("CURSOR_INVALID", "cursor", "is not a cursor returned by WatchChanges");
        }

        // The first message says where the stream starts: once a watcher has it, no later change can be missed,
        // so it may start caching.
        await responseStream.WriteAsync(new Proto.WatchChangesResponse
        {
            Cursor = cursor.ToString(CultureInfo.InvariantCulture),
            Kind = Proto.ChangeKind.Unspecified,
        }, ct).ConfigureAwait(false);

        while (!ct.IsCancellationRequested)
        {
            // Take the wake-up task before reading, so a change committed in between is not missed.
            var next = feed.NextChange;
            var changes = await registry.ChangesAsync(cursor, 500, ct).ConfigureAwait(false);
            foreach (var change in changes)
            {
                await responseStream.WriteAsync(change.ToProto(), ct).ConfigureAwait(false);
                cursor = change.Sequence;
            }

            if (changes.Count == 0)
            {
                await next.WaitAsync(TimeSpan.FromSeconds(5), ct).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public override async Task<Proto.ImportAgenciesResponse> ImportAgencies(Proto.ImportAgenciesRequest request, ServerCallContext context)
    {
        var admin = await callers.RequireAdminAsync(context).ConfigureAwait(false);
        if (request.Content.Length > AgencyListCodec.MaxImportBytes)
        {
            throw new MeshException(ErrorKind.ResourceExhausted, "AGENCY_LIST_TOO_LARGE", $"content: larger than {AgencyListCodec.MaxImportBytes} bytes");
        }

        var rows = request.Format switch
        {
            Proto.AgencyListFormat.Json => AgencyListCodec.ReadJson(request.Content.Span),
            Proto.AgencyListFormat.Csv => AgencyListCodec.ReadCsv(request.Content.Span),
            _ => throw MeshException.Invalid("FORMAT_INVALID", "format", "must be JSON or CSV"),
        };
        var result = await import.ImportAsync(request.RequestId, rows, admin, context.CancellationToken).ConfigureAwait(false);
        return new Proto.ImportAgenciesResponse { Created = result.Created, Updated = result.Updated, Unchanged = result.Unchanged };
    }

    /// <inheritdoc />
    public override async Task<Proto.ExportAgenciesResponse> ExportAgencies(Proto.ExportAgenciesRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var all = await registry.AllAsync(context.CancellationToken).ConfigureAwait(false);
        var content = request.Format switch
        {
            Proto.AgencyListFormat.Json => AgencyListCodec.WriteJson(all),
            Proto.AgencyListFormat.Csv => AgencyListCodec.WriteCsv(all),
            _ => throw MeshException.Invalid("FORMAT_INVALID", "format", "must be JSON or CSV"),
        };
        return new Proto.ExportAgenciesResponse { Content = ByteString.CopyFrom(content), Count = all.Count };
    }

    private static int PageSize(int requested) => requested switch
    {
        < 0 => throw MeshException.Invalid("PAGE_SIZE_INVALID", "page_size", "must not be negative"),
        0 => DefaultPageSize,
        > MaxPageSize => MaxPageSize,
        _ => requested,
    };

    private static string EncodePageToken(string lastOrganId) => Convert.ToBase64String(Encoding.UTF8.GetBytes("a:" + lastOrganId));

    private static string? DecodePageToken(string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith("a:", StringComparison.Ordinal))
            {
                return text[2..];
            }
        }
        catch (FormatException)
        {
        }

        throw MeshException.Invalid("PAGE_TOKEN_INVALID", "page_token", "is not a token returned by ListAgencies");
    }
}
