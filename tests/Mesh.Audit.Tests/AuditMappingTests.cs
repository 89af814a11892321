using Google.Protobuf.WellKnownTypes;
using Mesh.Audit.Domain;
using Mesh.Audit.Grpc;
using Mesh.Auditing;
using Mesh.Errors;
using Proto = Mesh.Contracts.Audit.V1;

namespace Mesh.Audit.Tests;

public sealed class AuditMappingTests
{
    [Fact]
    public void ToDomain_ProtoEvent_RoundTripsThroughCanonicalBytes()
    {
        var proto = new Proto.AuditEvent
        {
            Type = Proto.EventType.DocumentRefused,
            Time = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 30, 1, 2, 3, TimeSpan.Zero)),
            ActorOrganId = "000.00.00.G22",
            DocumentId = "hub-1",
            BusinessDocumentId = "000.00.00.G22,2026/11/30,1/VPCP",
            Outcome = "SIGNATURE_INVALID",
            Detail = "manifest",
            TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        };
        proto.CounterpartOrganIds.Add("000.00.00.H49");
        proto.Digests.Add(new string('c', 64));

        var back = AuditMapping.ToProto(AuditEventCodec.Decode(AuditEventCodec.Encode(AuditMapping.ToDomain(proto))));

        back.Should().BeEquivalentTo(proto);
    }

    [Fact]
    public void ToDomain_EmptyOutcome_MeansOk()
    {
        var proto = new Proto.AuditEvent { Type = Proto.EventType.DocumentAccepted, Time = Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddDays(1)) };

        var e = AuditMapping.ToDomain(proto);

        e.Outcome.Should().Be(AuditEvent.OutcomeOk);
        e.Type.Should().Be(AuditEventTypes.DocumentAccepted);
    }

    [Fact]
    public void ToDomain_UnspecifiedType_IsInvalidArgument()
    {
        var proto = new Proto.AuditEvent { Time = Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch) };

        var act = () => AuditMapping.ToDomain(proto);

        act.Should().Throw<MeshException>().Which.Reason.Should().Be("AUDIT_EVENT_TYPE_INVALID");
    }

    [Fact]
    public void EveryProtoEventType_MapsToADomainTypeAndBack()
    {
        var types = System.Enum.GetValues<Proto.EventType>().Where(t => t != Proto.EventType.Unspecified).ToArray();

        var mapped = types.Select(t => AuditMapping.ToProto(AuditMapping.ToDomain(t, "type"))).ToArray();

        mapped.Should().Equal(types);
    }
}
