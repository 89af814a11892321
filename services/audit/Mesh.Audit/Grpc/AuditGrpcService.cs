using Google.Protobuf;
using Grpc.Core;
using Mesh.Agencies;
using Mesh.Audit.Infrastructure;
using Mesh.Auditing;
using Mesh.Errors;
using Mesh.ServiceDefaults.Identity;
using Proto = Mesh.Contracts.Audit.V1;

namespace Mesh.Audit.Grpc;

/// <summary>The audit gRPC API: validates, maps, calls the log.</summary>
public sealed class AuditGrpcService(AuditSequencer sequencer, AuditLogReader reader, Domain.NoteVerifier logKey, CallerAccessor callers, IAgencyDirectory? agencies = null) : Proto.AuditService.AuditServiceBase
{
    private const int DefaultPageSize = 100;

    /// <inheritdoc />
    public override async Task<Proto.AppendResponse> Append(Proto.AppendRequest request, ServerCallContext context)
    {
        await callers.RequireHubServiceAsync(context).ConfigureAwait(false);
        if (request.IdempotencyKey.Length > AuditSequencer.MaxIdempotencyKeyLength)
        {
            throw MeshException.Invalid("IDEMPOTENCY_KEY_TOO_LONG", "idempotency_key", $"at most {AuditSequencer.MaxIdempotencyKeyLength} characters");
        }

        var result = await sequencer.AppendAsync(AuditMapping.ToDomain(request.Event), request.IdempotencyKey, context.CancellationToken).ConfigureAwait(false);
        return new Proto.AppendResponse { LeafIndex = result.Index, LeafHash = ByteString.CopyFrom(result.LeafHash) };
    }

    /// <inheritdoc />
    public override async Task<Proto.GetCheckpointResponse> GetCheckpoint(Proto.GetCheckpointRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var checkpoint = await reader.GetCheckpointAsync(context.CancellationToken).ConfigureAwait(false)
            ?? throw MeshException.Precondition("AUDIT_LOG_EMPTY", "The audit log has no entries yet.");
        return new Proto.GetCheckpointResponse
        {
            SignedCheckpoint = checkpoint.Note,
            TreeSize = checkpoint.Checkpoint.Size,
            RootHash = ByteString.CopyFrom(checkpoint.Checkpoint.RootHash),
            Origin = checkpoint.Checkpoint.Origin,
            VerifierKey = logKey.VerifierKey,
        };
    }

    /// <inheritdoc />
    public override async Task<Proto.GetInclusionProofResponse> GetInclusionProof(Proto.GetInclusionProofRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        if (request.TreeSize <= 0)
        {
            throw MeshException.Invalid("AUDIT_TREE_SIZE_INVALID", "tree_size", "take it from a signed checkpoint");
        }

        var proof = request.LeafCase switch
        {
            Proto.GetInclusionProofRequest.LeafOneofCase.LeafIndex =>
                await reader.GetInclusionProofAsync(request.LeafIndex, request.TreeSize, context.CancellationToken).ConfigureAwait(false),
            Proto.GetInclusionProofRequest.LeafOneofCase.LeafHash =>
                await reader.GetInclusionProofByLeafHashAsync(request.LeafHash.ToByteArray(), request.TreeSize, context.CancellationToken).ConfigureAwait(false),
            _ => throw MeshException.Invalid("AUDIT_LEAF_REQUIRED", "leaf", "give leaf_index or leaf_hash"),
        };
        var response = new Proto.GetInclusionProofResponse { LeafIndex = proof.LeafIndex, TreeSize = proof.TreeSize };
        response.Hashes.AddRange(proof.Hashes.Select(ByteString.CopyFrom));
        return response;
    }

    /// <inheritdoc />
    public override async Task<Proto.GetConsistencyProofResponse> GetConsistencyProof(Proto.GetConsistencyProofRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var proof = await reader.GetConsistencyProofAsync(request.FirstTreeSize, request.SecondTreeSize, context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.GetConsistencyProofResponse();
        response.Hashes.AddRange(proof.Hashes.Select(ByteString.CopyFrom));
        return response;
    }

    /// <inheritdoc />
    public override async Task<Proto.GetEntriesResponse> GetEntries(Proto.GetEntriesRequest request, ServerCallContext context)
    {
        await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var count = request.End - request.Start;
        if (request.Start < 0 || count is < 1 or > AuditLogReader.MaxEntriesPerCall)
        {
            throw MeshException.Invalid("AUDIT_RANGE_INVALID", "end", $"start ≥ 0 and 1 to {AuditLogReader.MaxEntriesPerCall} entries");
        }

        var entries = await reader.GetEntriesAsync(request.Start, (int)count, context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.GetEntriesResponse();
        response.Entries.AddRange(entries.Select(AuditMapping.ToProto));
        return response;
    }

    /// <inheritdoc />
    public override async Task<Proto.QueryResponse> Query(Proto.QueryRequest request, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        var organId = request.OrganId;
        if (!caller.IsAdmin && !caller.IsHubService)
        {
            // An agency sees only events it took part in (audit.proto: Query).
            if (organId.Length > 0 && organId != caller.OrganId)
            {
                throw await callers.RefuseAsync(MeshException.Denied("AUDIT_QUERY_FORBIDDEN", "An agency may query only events it took part in."), caller.OrganId, context).ConfigureAwait(false);
            }

            organId = caller.OrganId;
        }

        var query = new AuditQuery
        {
            DocumentId = request.DocumentId,
            Agency = organId,
            Type = request.Type == Proto.EventType.Unspecified ? null : AuditMapping.ToDomain(request.Type, "type"),
            From = request.StartTime?.ToDateTimeOffset(),
            To = request.EndTime?.ToDateTimeOffset(),
        };
        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var page = await reader.QueryAsync(query, pageSize, request.PageToken.Length == 0 ? null : request.PageToken, context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.QueryResponse { NextPageToken = page.NextPageToken ?? "" };
        response.Entries.AddRange(page.Entries.Select(AuditMapping.ToProto));
        return response;
    }

    /// <inheritdoc />
    public override async Task<Proto.GetStatisticsResponse> GetStatistics(Proto.GetStatisticsRequest request, ServerCallContext context)
    {
        var caller = await callers.RequireCallerAsync(context).ConfigureAwait(false);
        if (!caller.IsAdmin && request.OrganId != caller.OrganId)
        {
            throw await callers.RefuseAsync(MeshException.Denied("AUDIT_STATISTICS_FORBIDDEN", "An agency may read only its own statistics; all agencies need the admin role."), caller.OrganId, context).ConfigureAwait(false);
        }

        var from = AuditMapping.HanoiDay(request.StartTime, "start_time");
        // end_time is the first day excluded.
        var to = AuditMapping.HanoiDay(request.EndTime, "end_time").AddDays(-1);
        var monthly = request.Period == Proto.Period.Month;
        var report = await reader.GetStatisticsAsync(request.OrganId.Length == 0 ? null : request.OrganId, from, to, monthly, context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.GetStatisticsResponse
        {
            Total = AuditMapping.ToProto("", AuditMapping.Period(from, monthly), report.Totals),
            AgenciesConnected = report.AgenciesConnected,
            // Active agencies in the registry now; the agencies the log has seen only when no registry is reachable from here.
            AgenciesRegistered = agencies is null ? report.AgenciesSeen : await agencies.CountActiveAsync(context.CancellationToken).ConfigureAwait(false),
        };
        response.Rows.AddRange(report.Rows.Select(r => AuditMapping.ToProto(r.OrganId, AuditMapping.Period(r.Day, monthly), r.Counters)));
        return response;
    }
}
