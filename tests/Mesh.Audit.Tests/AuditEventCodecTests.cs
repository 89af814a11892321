using Mesh.Audit.Domain;
using Mesh.Auditing;
using Mesh.Errors;

namespace Mesh.Audit.Tests;

public sealed class AuditEventCodecTests
{
    internal static AuditEvent Sample(string type = AuditEventTypes.DocumentAccepted, string actor = "000.00.00.G22") => new()
    {
        Type = type,
        Time = new DateTimeOffset(2026, 11, 30, 8, 15, 0, TimeSpan.Zero),
        Actor = actor,
        DocumentId = "0b4f6c1e-hub-id",
        BusinessDocumentId = "000.00.00.G22,2026/11/30,7816/VPCP-TTĐT",
        Counterparts = ["000.00.00.H49", "000.00.00.G12"],
        Digests = [new string('a', 64), new string('0', 64)],
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
    };

    [Fact]
    public void Encode_SameEventTwice_GivesSameBytes()
    {
        var e = Sample();

        var a = AuditEventCodec.Encode(e);
        var b = AuditEventCodec.Encode(e with { Counterparts = [.. e.Counterparts.Reverse()] });

        a.Should().Equal(b);
    }

    [Fact]
    public void Decode_EncodedEvent_RoundTrips()
    {
        var e = Sample(AuditEventTypes.DocumentRefused) with { Outcome = "SIGNATURE_INVALID", Detail = "chữ ký số không hợp lệ" };
        var bytes = AuditEventCodec.Encode(e);

        var decoded = AuditEventCodec.Decode(bytes);

        AuditEventCodec.Encode(decoded).Should().Equal(bytes);
        decoded.Outcome.Should().Be("SIGNATURE_INVALID");
        decoded.Detail.Should().Be("chữ ký số không hợp lệ");
        decoded.Counterparts.Should().Equal("000.00.00.G12", "000.00.00.H49");
        decoded.Digests.Should().Equal(e.Digests);
        decoded.Time.Should().Be(e.Time);
    }

    [Fact]
    public void FromRecord_SharedAuditRecord_KeepsEveryField()
    {
        var record = Sample().ToRecord();

        var back = AuditEvent.FromRecord(record).ToRecord();

        back.Should().BeEquivalentTo(record);
    }

    [Fact]
    public void Encode_KnownEvent_MatchesDocumentedLayout()
    {
        var e = new AuditEvent { Type = "T", Time = DateTimeOffset.UnixEpoch.AddTicks(10), Actor = "A", Digests = [new string('f', 64)] };

        var bytes = AuditEventCodec.Encode(e);

        Convert.ToHexString(bytes).Should().Be("4D4101" + "000154" + "0000000000000001" + "000141" + "0000" + "0000" + "0000" + "0001" + new string('F', 64) + "00024F4B" + "0000" + "0000");
    }

    [Fact]
    public void Decode_TrailingByte_Throws()
    {
        var bytes = AuditEventCodec.Encode(Sample());

        var act = () => AuditEventCodec.Decode([.. bytes, 0]);

        act.Should().Throw<FormatException>();
    }

    [Fact]
    public void Encode_OversizedEvent_IsRefused()
    {
        var counterparts = Enumerable.Range(0, 1024).Select(i => $"{i:D5}{new string('ạ', 30)}").ToArray();
        var digests = Enumerable.Range(0, 256).Select(i => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))).ToArray();

        var act = () => AuditEventCodec.Encode(Sample() with { Counterparts = counterparts, Digests = digests });

        act.Should().Throw<MeshException>().Which.Reason.Should().Be("AUDIT_EVENT_TOO_LARGE");
    }

    [Theory]
    [InlineData("", "000.00.00.G22", "", "OK", "")]
    [InlineData("document.accepted", "000.00.00.G22", "", "OK", "")]
    [InlineData("DOCUMENT_ACCEPTED", "0123456789012345678901234567890123456", "", "OK", "")]
    [InlineData("DOCUMENT_ACCEPTED", "000.00.00.G22", "not-hex", "OK", "")]
    [InlineData("DOCUMENT_REFUSED", "000.00.00.G22", "", "lower_case", "")]
    [InlineData("DOCUMENT_ACCEPTED", "000.00.00.G22", "", "OK", "NOT-A-DIGEST")]
    public void Encode_InvalidField_ThrowsInvalidArgument(string type, string actor, string traceId, string outcome, string digest)
    {
        var e = Sample(type, actor) with { TraceId = traceId, Outcome = outcome, Digests = digest.Length > 0 ? [digest] : [] };

        var act = () => AuditEventCodec.Encode(e);

        act.Should().Throw<MeshException>().Which.Kind.Should().Be(ErrorKind.InvalidArgument);
    }

    [Fact]
    public void Encode_HubAsActor_IsAllowed()
    {
        var e = Sample(AuditEventTypes.DeadlineFlagged, actor: "") with { Detail = "overdue" };

        var bytes = AuditEventCodec.Encode(e);

        AuditEventCodec.Decode(bytes).Actor.Should().BeEmpty();
    }
}
