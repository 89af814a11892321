using System.Diagnostics;
using System.Text;
using FluentAssertions;
using Xunit;

namespace Mesh.EdXml.Tests;

public sealed class HostileXmlTests
{
    private const string NewSample = "edoc_new.payload-elided.edxml";
    private const string Header = "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader";
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(5);

    [Fact]
    public void Read_Dtd_RefusedAsDtdProhibited()
    {
        var xml = Sample(NewSample).Replace("<edXML xmlns=", "<!DOCTYPE edXML [<!ELEMENT edXML ANY>]>\r\n<edXML xmlns=", StringComparison.Ordinal);

        var act = () => Read(xml);

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.DtdProhibited);
    }

    [Fact]
    public void Read_ExternalEntityToEtcPasswd_RefusedWithoutReadingTheFile()
    {
        var xml = Sample(NewSample)
            .Replace("<edXML xmlns=", "<!DOCTYPE edXML [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\r\n<edXML xmlns=", StringComparison.Ordinal)
            .Replace("<edXML:Subject>V/v", "<edXML:Subject>&xxe;V/v", StringComparison.Ordinal);

        var act = () => Read(xml);

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.DtdProhibited);
        ex.ToString().Should().NotContain("root:");
    }

    [Fact]
    public void Read_BillionLaughs_RefusedQuickly()
    {
        var dtd = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE edXML [\n<!ENTITY lol0 \"lol\">\n");
        for (var i = 1; i <= 9; i++)
        {
            dtd.Append("<!ENTITY lol").Append(i).Append(" \"").Append(string.Concat(Enumerable.Repeat($"&lol{i - 1};", 10))).Append("\">\n");
        }
        dtd.Append("]>\n<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">&lol9;</edXML>");
        var stopwatch = Stopwatch.StartNew();

        var act = () => Read(dtd.ToString());

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.DtdProhibited);
        stopwatch.Elapsed.Should().BeLessThan(Quickly);
    }

    [Fact]
    public void Read_PackageOverLimit_RefusedAsTooLarge()
    {
        var bytes = Samples.Bytes(NewSample);
        var reader = new EdXmlReader(new EdXmlReaderOptions { MaxPackageBytes = bytes.Length - 1 });

        var act = () => reader.Read(new MemoryStream(bytes));

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.TooLarge);
    }

    [Fact]
    public async Task ReadAsync_PackageOverLimit_RefusedAsTooLarge()
    {
        var bytes = Samples.Bytes(NewSample);
        var reader = new EdXmlReader(new EdXmlReaderOptions { MaxPackageBytes = bytes.Length - 1 });

        var act = () => reader.ReadAsync(new MemoryStream(bytes));

        (await act.Should().ThrowAsync<EdXmlException>()).Which.Reason.Should().Be(EdXmlErrorReason.TooLarge);
    }

    [Fact]
    public async Task ReadAsync_Sample_SameManifestAsRead()
    {
        var bytes = Samples.Bytes("edoc_update.payload-elided.edxml");
        var expected = new EdXmlReader().Read(new MemoryStream(bytes)).Document!.Manifest;

        var package = await new EdXmlReader().ReadAsync(new MemoryStream(bytes));

        package.Document!.Manifest.Should().Be(expected);
    }

    [Fact]
    public void Read_PackageExactlyAtLimit_Accepted()
    {
        var bytes = Samples.Bytes(NewSample);
        var reader = new EdXmlReader(new EdXmlReaderOptions { MaxPackageBytes = bytes.Length });

        var unlimited = new EdXmlReader().Read(new MemoryStream(bytes)).Document!.Manifest;

        var package = reader.Read(new MemoryStream(bytes));

        package.Document!.Manifest.Should().Be(unlimited, "a package of exactly the limit is read whole, not truncated");
    }

    [Fact]
    public void Read_EndlessStream_StopsAtTheLimitQuickly()
    {
        var reader = new EdXmlReader(new EdXmlReaderOptions { MaxPackageBytes = 1024 * 1024 });
        var stopwatch = Stopwatch.StartNew();

        var act = () => reader.Read(new EndlessWhitespaceAfterRootStream());

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.TooLarge);
        stopwatch.Elapsed.Should().BeLessThan(Quickly);
    }

    [Fact]
    public void Read_AttachmentOverLimit_RefusedAsTooLargeWithPath()
    {
        var reader = new EdXmlReader(new EdXmlReaderOptions { MaxAttachmentBytes = 100 });

        var act = () => reader.Read(new MemoryStream(Samples.Bytes(NewSample)));

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.TooLarge);
        ex.ElementPath.Should().Be("/edXML/AttachmentEncoded/Attachment[1]/ContentTransferEncoded");
    }

    [Fact]
    public void Read_TooManyAttachments_RefusedAsTooLarge()
    {
        var reader = new EdXmlReader(new EdXmlReaderOptions { MaxAttachments = 0 });

        var act = () => reader.Read(new MemoryStream(Samples.Bytes(NewSample)));

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.TooLarge);
    }

    [Fact]
    public void Read_InvalidBase64_RefusedAsFieldInvalidWithPath()
    {
        var xml = ReplacePayload(Sample(NewSample), "!!!not*base64!!!");

        var act = () => Read(xml);

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
        ex.ElementPath.Should().Be("/edXML/AttachmentEncoded/Attachment[1]/ContentTransferEncoded");
    }

    [Fact]
    public void Read_Base64WrappedAtSeventySixColumns_DecodesTheSameBytes()
    {
        var xml = Sample(NewSample);
        var payload = System.Text.RegularExpressions.Regex.Match(xml, "<edXML:ContentTransferEncoded[^>]*>([^<]*)<").Groups[1].Value;
        var wrapped = string.Join("\r\n", payload.Chunk(76).Select(c => new string(c)));
        var expected = Read(xml).Document!.Attachments[0].Content.ToArray();

        var actual = Read(ReplacePayload(xml, "\r\n" + wrapped + "\r\n")).Document!.Attachments[0].Content.ToArray();

        wrapped.Should().Contain("\r\n");
        actual.Should().Equal(expected);
    }

    [Fact]
    public void Read_WrongNamespace_RefusedAsMalformed()
    {
        var xml = Sample(NewSample).Replace("http://www.mic.gov.vn/TBT/QCVN_102_2016", "http://example.org/not-edxml", StringComparison.Ordinal);

        var act = () => Read(xml);

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.Malformed);
        ex.ElementPath.Should().Be("/edXML");
    }

    [Theory]
    [InlineData("")]
    [InlineData("not xml at all")]
    [InlineData("<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><unclosed></edXML>")]
    public void Read_NotWellFormed_RefusedAsMalformed(string xml)
    {
        var act = () => Read(xml);

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.Malformed);
    }

    [Fact]
    public void Read_TruncatedPackage_RefusedAsMalformed()
    {
        var bytes = Samples.Bytes(NewSample);

        var act = () => new EdXmlReader().Read(new MemoryStream(bytes, 0, bytes.Length / 2));

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.Malformed);
    }

    [Fact]
    public void Read_NoEnvelope_RefusedAsMalformed()
    {
        var act = () => Read("<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"/>");

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.Malformed);
    }

    [Theory]
    [InlineData("<edXML:From>", "<edXML:Sender>", "</edXML:From>", "</edXML:Sender>", Header + "/From")]
    [InlineData("<edXML:To>", "<edXML:Other>", "</edXML:To>", "</edXML:Other>", Header + "/To")]
    [InlineData("<edXML:OrganId>000.00.00.A80</edXML:OrganId>", "<edXML:OrganId> </edXML:OrganId>", "", "", Header + "/From/OrganId")]
    [InlineData("<edXML:Subject>", "<edXML:Title>", "</edXML:Subject>", "</edXML:Title>", Header + "/Subject")]
    [InlineData("<edXML:CodeNumber>74fass22</edXML:CodeNumber>", "", "", "", Header + "/Code/CodeNumber")]
    [InlineData("<edXML:PromulgationDate>2019/01/16</edXML:PromulgationDate>", "", "", "", Header + "/PromulgationInfo/PromulgationDate")]
    [InlineData("<edXML:MessageHeader>", "<edXML:Header>", "</edXML:MessageHeader>", "</edXML:Header>", Header)]
    public void Read_RequiredElementMissing_RefusedAsFieldInvalidWithPath(string old1, string new1, string old2, string new2, string path)
    {
        var xml = Sample(NewSample).Replace(old1, new1, StringComparison.Ordinal);
        if (old2.Length > 0)
        {
            xml = xml.Replace(old2, new2, StringComparison.Ordinal);
        }

        var act = () => Read(xml);

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
        ex.ElementPath.Should().Be(path);
    }

    [Theory]
    [InlineData("<edXML:PromulgationDate>2019/01/16<", "<edXML:PromulgationDate>2019/02/30<", Header + "/PromulgationInfo/PromulgationDate")]
    [InlineData("<edXML:DueDate>2018/09/28<", "<edXML:DueDate>28-09-2018<", Header + "/DueDate")]
    [InlineData("<edXML:Priority>0<", "<edXML:Priority>7<", Header + "/OtherInfo/Priority")]
    [InlineData("<edXML:PageAmount>22<", "<edXML:PageAmount>many<", Header + "/OtherInfo/PageAmount")]
    [InlineData("<edXML:Direction>false<", "<edXML:Direction>maybe<", Header + "/OtherInfo/Direction")]
    [InlineData("<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>9<", "/edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList/Bussiness/BussinessDocType")]
    [InlineData("<edXML:Timestamp>2018/09/28 00:00:00<", "<edXML:Timestamp>2018/09/28T00:00<", "/edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList/TraceHeader/Timestamp")]
    public void Read_InvalidValue_RefusedAsFieldInvalidWithPath(string old, string replacement, string path)
    {
        var xml = Sample(NewSample).Replace(old, replacement, StringComparison.Ordinal);

        var act = () => Read(xml);

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
        ex.ElementPath.Should().Be(path);
    }

    [Fact]
    public void Read_DeclaredAttachmentMissing_RefusedAsFieldInvalid()
    {
        var xml = Sample(NewSample).Replace("<ContentId>cid:209</ContentId>", "<ContentId>cid:999</ContentId>", StringComparison.Ordinal);

        var act = () => Read(xml);

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
        ex.ElementPath.Should().Be("/edXML/edXMLEnvelope/edXMLBody/edXMLManifest/Reference");
    }

    [Fact]
    public void Read_UndeclaredAttachment_RefusedAsFieldInvalid()
    {
        var xml = Sample(NewSample).Replace("</AttachmentEncoded>",
            "<Attachment><ContentId>cid:210</ContentId><AttachmentName>x.txt</AttachmentName><ContentType>text/plain</ContentType>" +
            "<ContentTransferEncoded>aGVsbG8=</ContentTransferEncoded></Attachment></AttachmentEncoded>", StringComparison.Ordinal);

        var act = () => Read(xml);

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
        ex.ElementPath.Should().Be("/edXML/AttachmentEncoded/Attachment[2]");
    }

    [Theory]
    [InlineData("<edXML:StatusCode>01<", "<edXML:StatusCode>07<", Header + "/StatusCode")]
    [InlineData("<edXML:StatusCode>01<", "<edXML:StatusCode>xx<", Header + "/StatusCode")]
    [InlineData("<edXML:Timestamp>2018/09/28 17:25:11</edXML:Timestamp>", "", Header + "/Timestamp")]
    [InlineData("<edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>", "", Header + "/ResponseFor/DocumentId")]
    [InlineData("<edXML:OrganId>000.00.00.H41</edXML:OrganId>", "", Header + "/From/OrganId")]
    public void ReadStatus_InvalidOrMissingField_RefusedAsFieldInvalidWithPath(string old, string replacement, string path)
    {
        var xml = Sample("status.edxml").Replace(old, replacement, StringComparison.Ordinal);

        var act = () => new EdXmlReader().ReadStatus(new MemoryStream(Encoding.UTF8.GetBytes(xml)));

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
        ex.ElementPath.Should().Be(path);
    }

    [Fact]
    public void ReadStatus_DocumentPackage_RefusedAsFieldInvalid()
    {
        var act = () => new EdXmlReader().ReadStatus(new MemoryStream(Samples.Bytes(NewSample)));

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
    }

    [Fact]
    public void ReadDocument_StatusMessage_RefusedAsFieldInvalid()
    {
        var act = () => new EdXmlReader().ReadDocument(new MemoryStream(Samples.Bytes("status.edxml")));

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
    }

    private static EdXmlPackage Read(string xml) => new EdXmlReader().Read(new MemoryStream(Encoding.UTF8.GetBytes(xml)));

    private static string Sample(string file) => Encoding.UTF8.GetString(Samples.Bytes(file));

    private static string ReplacePayload(string xml, string payload) =>
        System.Text.RegularExpressions.Regex.Replace(xml, "(<edXML:ContentTransferEncoded[^>]*>)[^<]*(<)", "${1}" + payload + "${2}");

    // A root element followed by whitespace forever: only the size limit ends it.
    private sealed class EndlessWhitespaceAfterRootStream : Stream
    {
        private static readonly byte[] Start = Encoding.UTF8.GetBytes("<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><edXMLEnvelope>");
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            for (var i = 0; i < count; i++, _position++)
            {
                buffer[offset + i] = _position < Start.Length ? Start[_position] : (byte)' ';
            }
            return count;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
