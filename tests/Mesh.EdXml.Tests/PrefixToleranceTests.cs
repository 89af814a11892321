using System.Text;
using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;

namespace Mesh.EdXml.Tests;

public sealed class PrefixToleranceTests
{
    private const string Ns = "http://www.mic.gov.vn/TBT/QCVN_102_2016";
    private readonly EdXmlReader _reader = new();

    [Theory]
    [MemberData(nameof(Samples.All), MemberType = typeof(Samples))]
    public void Read_DefaultNamespaceEverywhere_SameResultAsPrefixed(string file)
    {
        var text = Encoding.UTF8.GetString(Samples.Bytes(file));
        var unprefixed = Regex.Replace(text, @" xmlns:edXML=""[^""]*""", "").Replace("edXML:", "", StringComparison.Ordinal);

        var expected = _reader.Read(new MemoryStream(Samples.Bytes(file)));
        var actual = _reader.Read(new MemoryStream(Encoding.UTF8.GetBytes(unprefixed)));

        unprefixed.Should().NotContain("edXML:");
        (actual.Document?.Manifest ?? (object)actual.Status!.Report).Should().Be(expected.Document?.Manifest ?? (object)expected.Status!.Report);
    }

    [Fact]
    public void Read_OtherPrefixPrefixedAttachmentsAndDsigSignature_SameManifest()
    {
        var text = Encoding.UTF8.GetString(Samples.Bytes("edoc_update.payload-elided.edxml"));
        var variant = Regex.Replace(text, @" xmlns:edXML=""[^""]*""", "")
            .Replace("edXML:", "q:", StringComparison.Ordinal)
            .Replace("<edXML xmlns=\"" + Ns + "\">", "<q:edXML xmlns:q=\"" + Ns + "\">", StringComparison.Ordinal)
            .Replace("</edXML>", "</q:edXML>", StringComparison.Ordinal)
            .Replace("<AttachmentEncoded>", "<q:AttachmentEncoded>", StringComparison.Ordinal)
            .Replace("</AttachmentEncoded>", "</q:AttachmentEncoded>", StringComparison.Ordinal)
            .Replace("<Signature>", "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">", StringComparison.Ordinal);
        variant = Regex.Replace(variant, "<(/?)(Attachment|ContentId|AttachmentName|Description|ContentType)>", "<$1q:$2>");

        var expected = _reader.ReadDocument(new MemoryStream(Samples.Bytes("edoc_update.payload-elided.edxml")));
        var actual = _reader.ReadDocument(new MemoryStream(Encoding.UTF8.GetBytes(variant)));

        variant.Should().Contain("<q:edXML ").And.Contain("<q:AttachmentEncoded>");
        actual.Manifest.Should().Be(expected.Manifest);
        actual.SignatureXml.Should().Contain("xmlns=\"http://www.w3.org/2000/09/xmldsig#\"");
        actual.IgnoredElements.Should().BeEmpty();
    }

    [Fact]
    public void Read_UnknownElements_SkippedAndReported()
    {
        var text = Encoding.UTF8.GetString(Samples.Bytes("edoc_new.payload-elided.edxml"))
            .Replace("<edXML:Subject>", "<edXML:Confidential>x</edXML:Confidential><edXML:Subject>", StringComparison.Ordinal)
            .Replace("<AttachmentEncoded>", "<Extra/><AttachmentEncoded>", StringComparison.Ordinal);

        var doc = _reader.ReadDocument(new MemoryStream(Encoding.UTF8.GetBytes(text)));

        doc.IgnoredElements.Should().BeEquivalentTo(
            "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Confidential",
            "/edXML/Extra");
        doc.Manifest.Header.Subject.Should().StartWith("V/v");
    }

    [Fact]
    public void Read_MainDocumentSelectionNone_EveryAttachmentIsAnAttachment()
    {
        var reader = new EdXmlReader(new EdXmlReaderOptions { MainDocument = MainDocumentSelection.None });

        var doc = reader.ReadDocument(new MemoryStream(Samples.Bytes("edoc_new.payload-elided.edxml")));

        doc.Manifest.Attachments.Should().ContainSingle().Which.Role.Should().Be(Mesh.Contracts.Routing.V1.AttachmentRole.Attachment);
    }

    [Fact]
    public void ReadStatus_StatusCarryingABody_BodyReportedAsIgnored()
    {
        var text = Encoding.UTF8.GetString(Samples.Bytes("status.edxml"))
            .Replace("</edXML:edXMLHeader>", "</edXML:edXMLHeader><edXML:edXMLBody/>", StringComparison.Ordinal);

        var status = _reader.ReadStatus(new MemoryStream(Encoding.UTF8.GetBytes(text)));

        status.IgnoredElements.Should().Equal("/edXML/edXMLEnvelope/edXMLBody");
    }
}
