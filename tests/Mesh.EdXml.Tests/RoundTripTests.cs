using FluentAssertions;
using Xunit;

namespace Mesh.EdXml.Tests;

public sealed class RoundTripTests
{
    private readonly EdXmlReader _reader = new();
    private readonly EdXmlWriter _writer = new();

    [Theory]
    [MemberData(nameof(Samples.Documents), MemberType = typeof(Samples))]
    public void WriteDocument_ReadSample_ReadsBackIdenticalManifestContentsAndSignature(string file)
    {
        var original = ReadDocument(Samples.Bytes(file));

        var written = WriteDocument(original);
        var reread = ReadDocument(written);

        reread.Manifest.Should().Be(original.Manifest, "every header field and attachment descriptor must survive");
        reread.Attachments.Select(a => a.Content.ToArray()).Should().BeEquivalentTo(
            original.Attachments.Select(a => a.Content.ToArray()), o => o.WithStrictOrdering());
        reread.SignatureXml.Should().Be(original.SignatureXml);
        reread.IgnoredElements.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Samples.Documents), MemberType = typeof(Samples))]
    public void WriteDocument_WrittenPackageReadAgain_ByteStable(string file)
    {
        var first = WriteDocument(ReadDocument(Samples.Bytes(file)));

        var second = WriteDocument(ReadDocument(first));

        second.Should().Equal(first);
    }

    [Theory]
    [MemberData(nameof(Samples.Statuses), MemberType = typeof(Samples))]
    public void WriteStatus_ReadSample_ReadsBackIdenticalReport(string file)
    {
        var original = _reader.ReadStatus(new MemoryStream(Samples.Bytes(file)));

        var written = WriteStatus(original);
        var reread = _reader.ReadStatus(new MemoryStream(written));

        reread.Report.Should().Be(original.Report, "every status field must survive");
        reread.IgnoredElements.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Samples.Statuses), MemberType = typeof(Samples))]
    public void WriteStatus_WrittenStatusReadAgain_ByteStable(string file)
    {
        var first = WriteStatus(_reader.ReadStatus(new MemoryStream(Samples.Bytes(file))));

        var second = WriteStatus(_reader.ReadStatus(new MemoryStream(first)));

        second.Should().Equal(first);
    }

    [Fact]
    public void WriteDocument_NewSample_UsesTheSdkLayout()
    {
        var written = WriteDocument(ReadDocument(Samples.Bytes("edoc_new.payload-elided.edxml")));

        var text = System.Text.Encoding.UTF8.GetString(written);
        text.Should().StartWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">\r\n");
        text.Should().Contain("<edXML:edXMLEnvelope xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">");
        text.Should().Contain("<edXML:PromulgationDate>2019/01/16</edXML:PromulgationDate>");
        text.Should().Contain("<edXML:Timestamp>2018/09/28 00:00:00</edXML:Timestamp>");
        text.Should().Contain("<edXML:edXMLManifest version=\"1.0\">");
        text.Should().Contain("<AttachmentEncoded>\r\n    <Attachment>\r\n      <ContentId>cid:209</ContentId>");
        text.Should().Contain("<edXML:ContentTransferEncoded xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">UEsDB");
        text.Should().Contain("</edXML:TraceHeaderList>\r\n      <Signature xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">");
        text.Should().NotContain("\uFEFF");
    }

    private EdXmlDocument ReadDocument(byte[] bytes) => _reader.ReadDocument(new MemoryStream(bytes));

    private byte[] WriteDocument(EdXmlDocument doc)
    {
        using var output = new MemoryStream();
        _writer.WriteDocument(doc, output);
        return output.ToArray();
    }

    private byte[] WriteStatus(EdXmlStatus status)
    {
        using var output = new MemoryStream();
        _writer.WriteStatus(status, output);
        return output.ToArray();
    }
}
