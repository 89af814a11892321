using System.Collections.Frozen;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Auditing;
using Mesh.Errors;
using Mesh.ServiceDefaults.Errors;
using Microsoft.Extensions.Options;
using Audit = Mesh.Contracts.Audit.V1;

namespace Mesh.ServiceDefaults.Peers;

/// <summary>
/// <see cref="IAuditTrail"/> through the audit service's Append rpc, for a process without the log.
/// Append answers once the record is integrated, so the returned leaf index is as final as in-process.
/// </summary>
public sealed class AuditPeer(PeerChannels channels, IOptions<PeerOptions> options) : IAuditTrail
{
    // Proto enum value names are EVENT_TYPE_<domain type>.
    private static readonly FrozenDictionary<string, Audit.EventType> Types = Audit.AuditReflection.Descriptor.EnumTypes.First(e => e.Name == "EventType").Values
        .Where(v => v.Number != 0)
        .ToFrozenDictionary(v => v.Name["EVENT_TYPE_".Length..], v => (Audit.EventType)v.Number, StringComparer.Ordinal);

    private Audit.AuditService.AuditServiceClient Client => new(channels.For(options.Value.Audit, "Audit"));

    /// <inheritdoc />
    public async ValueTask<long> RecordAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!Types.TryGetValue(record.Type, out var type))
        {
            throw new MeshException(ErrorKind.Internal, "AUDIT_TYPE_UNKNOWN", $"The audit protocol has no event type {record.Type}.");
        }

        var e = new Audit.AuditEvent
        {
            Type = type,
            Time = Timestamp.FromDateTimeOffset(record.Time),
            ActorOrganId = record.ActorOrganId,
            DocumentId = record.DocumentId,
            BusinessDocumentId = record.BusinessDocumentId,
            Outcome = record.Outcome,
            Detail = record.Detail,
            TraceId = record.TraceId,
        };
        e.CounterpartOrganIds.AddRange(record.Counterparts);
        e.Digests.AddRange(record.Digests);
        try
        {
            var response = await Client.AppendAsync(new Audit.AppendRequest { Event = e, IdempotencyKey = record.IdempotencyKey }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.LeafIndex;
        }
        catch (RpcException ex)
        {
            throw ex.ToMeshException();
        }
        catch (HttpRequestException ex)
        {
            throw new MeshException(ErrorKind.Unavailable, "AUDIT_UNAVAILABLE", ex.Message, null, ex);
        }
    }
}
