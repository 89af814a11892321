using Mesh.Audit.Domain;
using Mesh.Errors;

namespace Mesh.Audit.Tests;

public sealed class AuditEventCodecTests
{
    internal static AuditEvent Sample(string type = AuditEventTypes.DocumentAccepted, string actor = "000.00.00.G22", string documentId = "000.00.00.G22,2026/11/30,7816/VPCP-TTĐT") => new()
    {
        Type = type,
        Time = new DateTimeOffset(2026, 11, 30, 8, 15, 0, TimeSpan.Zero),
        Actor = actor,
        DocumentId = documentId,
        Counterparties = ["000.00.00.H49", "000.00.00.G12"],
        Digests = [new AuditDigest("sha-256", "manifest", new byte[32])],
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
    };

    [Fact]
    public void Encode_SameEventTwice_GivesSameBytes()
    {
        var e = Sample();

        var a = AuditEventCodec.Encode(e);
        var b = AuditEventCodec.Encode(e with { Counterparties = [.. e.Counterparties.Reverse()] });

        a.Should().Equal(b);
    }

    [Fact]
    public void Decode_EncodedEvent_RoundTrips()
    {
        var e = Sample() with { Outcome = AuditOutcome.Refused, Reason = "SIGNATURE_INVALID" };
        var bytes = AuditEventCodec.Encode(e);

        var decoded = AuditEventCodec.Decode(bytes);

        AuditEventCodec.Encode(decoded).Should().Equal(bytes);
        decoded.Reason.Should().Be("SIGNATURE_INVALID");
        decoded.Counterparties.Should().Equal("000.00.00.G12", "000.00.00.H49");
        decoded.Time.Should().Be(e.Time);
    }

    [Fact]
    public void Encode_KnownEvent_MatchesDocumentedLayout()
    {
        var e = new AuditEvent { Type = "t", Time = DateTimeOffset.UnixEpoch.AddTicks(10), Actor = "A" };

        var bytes = AuditEventCodec.Encode(e);

        Convert.ToHexString(bytes).Should().Be("4D4101" + "000174" + "0000000000000001" + "000141" + "0000" + "0000" + "0000" + "01" + "0000" + "0000");
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
        var digests = Enumerable.Range(0, 256).Select(i => new AuditDigest("sha-512", new string('x', 200), new byte[64])).ToArray();

        var act = () => AuditEventCodec.Encode(Sample() with { Digests = digests });

        act.Should().Throw<MeshException>().Which.Reason.Should().Be("AUDIT_EVENT_TOO_LARGE");
    }

    [Theory]
    [InlineData("", "000.00.00.G22", "", "")]
    [InlineData("document.accepted", "", "", "")]
    [InlineData("document.accepted", "0123456789012345678901234567890123456", "", "")]
    [InlineData("document.accepted", "000.00.00.G22", "not-hex", "")]
    [InlineData("document.accepted", "000.00.00.G22", "", "lower_case")]
    public void Encode_InvalidField_ThrowsInvalidArgument(string type, string actor, string traceId, string reason)
    {
        var e = Sample(type, actor) with { TraceId = traceId, Reason = reason, Outcome = reason.Length > 0 ? AuditOutcome.Refused : AuditOutcome.Succeeded };

        var act = () => AuditEventCodec.Encode(e);

        act.Should().Throw<MeshException>().Which.Kind.Should().Be(ErrorKind.InvalidArgument);
    }
}
