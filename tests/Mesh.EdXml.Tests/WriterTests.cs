using System.Text;
using FluentAssertions;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Common.V1;
using Mesh.Contracts.Routing.V1;
using Xunit;

namespace Mesh.EdXml.Tests;

public sealed class WriterTests
{
    private readonly EdXmlReader _reader = new();
    private readonly EdXmlWriter _writer = new();

    [Fact]
    public void WriteDocument_MeshManifestWithEveryField_ReadsBackIdentical()
    {
        var main = EdXmlAttachment.FromContent("7816-VPCP-TTDT.pdf", "application/pdf", Encoding.ASCII.GetBytes("%PDF-1.7 main"),
            "cid:1", "Công văn", AttachmentRole.MainDocument);
        var annex = EdXmlAttachment.FromContent("phu-luc.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            new byte[] { 1, 2, 3, 0, 255 }, "cid:2", "Phụ lục", AttachmentRole.Attachment);
        var manifest = new DocumentManifest { Header = FullHeader() };
        manifest.Attachments.Add(main.Descriptor);
        manifest.Attachments.Add(annex.Descriptor);

        var bytes = Write(manifest, main.Content, annex.Content);
        var doc = _reader.ReadDocument(new MemoryStream(bytes));

        // edXML has no confidentiality field: only unclassified documents are exported, and the
        // marking reads back as not set.
        var expected = manifest.Clone();
        expected.Header.OtherInfo.Classification = Classification.Unspecified;
        doc.Manifest.Should().Be(expected);
        doc.Attachments[1].Content.ToArray().Should().Equal(1, 2, 3, 0, 255);
    }

    [Fact]
    public void WriteDocument_MainDocumentNotFirst_WrittenFirstSoTheReaderFindsIt()
    {
        var annex = EdXmlAttachment.FromContent("a.txt", "text/plain", "annex"u8.ToArray(), "cid:a");
        var main = EdXmlAttachment.FromContent("m.pdf", "application/pdf", "%PDF"u8.ToArray(), "cid:m", role: AttachmentRole.MainDocument);
        var manifest = new DocumentManifest { Header = FullHeader() };
        manifest.Attachments.Add(annex.Descriptor);
        manifest.Attachments.Add(main.Descriptor);

        var doc = _reader.ReadDocument(new MemoryStream(Write(manifest, annex.Content, main.Content)));

        doc.Manifest.Attachments.Select(a => (a.Name, a.Role)).Should().Equal(
            ("m.pdf", AttachmentRole.MainDocument), ("a.txt", AttachmentRole.Attachment));
    }

    [Fact]
    public void WriteDocument_NoContentId_NumbersThem()
    {
        var file = EdXmlAttachment.FromContent("m.pdf", "application/pdf", "%PDF"u8.ToArray(), role: AttachmentRole.MainDocument);
        var manifest = new DocumentManifest { Header = FullHeader() };
        manifest.Attachments.Add(file.Descriptor);

        var doc = _reader.ReadDocument(new MemoryStream(Write(manifest, file.Content)));

        doc.Manifest.Attachments[0].ContentId.Should().Be("cid:1");
    }

    [Theory]
    [InlineData(Priority.Normal, "0")]
    [InlineData(Priority.Urgent, "1")]
    [InlineData(Priority.VeryUrgent, "2")]
    [InlineData(Priority.Flash, "3")]
    public void WriteDocument_Priority_WrittenAsEdXmlCode(Priority priority, string code)
    {
        var manifest = new DocumentManifest { Header = FullHeader() };
        manifest.Header.OtherInfo.Priority = priority;

        var text = Encoding.UTF8.GetString(Write(manifest));

        text.Should().Contain($"<edXML:Priority>{code}</edXML:Priority>");
        _reader.ReadDocument(new MemoryStream(Encoding.UTF8.GetBytes(text))).Manifest.Header.OtherInfo.Priority.Should().Be(priority);
    }

    [Fact]
    public void WriteDocument_TraceHeadersAppended_AfterTheHeadersOwn()
    {
        var manifest = new DocumentManifest { Header = FullHeader() };
        var hop = new TraceHeader { OrganId = "000.00.00.G22", Timestamp = Timestamp.FromDateTime(new DateTime(2026, 11, 30, 17, 30, 0, DateTimeKind.Utc)) };
        using var output = new MemoryStream();

        _writer.WriteDocument(manifest, [], output, new EdXmlWriteOptions { AppendTraceHeaders = [hop] });

        var text = Encoding.UTF8.GetString(output.ToArray());
        text.Should().Contain("<edXML:Timestamp>2026/12/01 00:30:00</edXML:Timestamp>", "17:30 UTC is 00:30 next day in Vietnam");
        _reader.ReadDocument(new MemoryStream(output.ToArray())).TraceHeaders.Should().Equal(manifest.Header.TraceHeaders.Append(hop));
    }

    [Fact]
    public void WriteDocument_ClassifiedDocument_Refused()
    {
        var manifest = new DocumentManifest { Header = FullHeader() };
        manifest.Header.OtherInfo.Classification = Classification.Secret;

        var act = () => Write(manifest);

        act.Should().Throw<EdXmlException>().Which.ElementPath.Should().EndWith("/OtherInfo");
    }

    [Fact]
    public void WriteDocument_ContentNotMatchingDigest_Refused()
    {
        var file = EdXmlAttachment.FromContent("m.pdf", "application/pdf", "%PDF"u8.ToArray(), role: AttachmentRole.MainDocument);
        var manifest = new DocumentManifest { Header = FullHeader() };
        manifest.Attachments.Add(file.Descriptor);

        var act = () => Write(manifest, "%PDX"u8.ToArray());

        var ex = act.Should().Throw<EdXmlException>().Which;
        ex.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
        ex.ElementPath.Should().Be("/edXML/AttachmentEncoded/Attachment[1]/ContentTransferEncoded");
    }

    [Fact]
    public void WriteDocument_NotACalendarDate_Refused()
    {
        var manifest = new DocumentManifest { Header = FullHeader() };
        manifest.Header.DueDate = new Date { Year = 2026, Month = 2, Day = 30 };

        var act = () => Write(manifest);

        act.Should().Throw<EdXmlException>().Which.ElementPath.Should().EndWith("/DueDate");
    }

    [Fact]
    public void WriteDocument_SignatureNotAnElement_Refused()
    {
        var manifest = new DocumentManifest { Header = FullHeader() };
        using var output = new MemoryStream();

        var act = () => _writer.WriteDocument(manifest, [], output, new EdXmlWriteOptions { SignatureXml = "<Signature>" });

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
    }

    [Fact]
    public void WriteStatus_MeshReportWithoutFromOrganization_WritesTwoDigitCodeAndVietnamTime()
    {
        var report = new StatusReport
        {
            DocumentId = "000.00.00.G22,2026/11/30,12/VPCP-TTĐT",
            FromOrganId = "000.00.00.H41",
            Code = StatusCode.Arrived,
            Description = "Đã đến",
            Timestamp = Timestamp.FromDateTime(new DateTime(2026, 11, 30, 2, 3, 4, DateTimeKind.Utc)),
        };
        using var output = new MemoryStream();

        _writer.WriteStatus(report, output);

        var text = Encoding.UTF8.GetString(output.ToArray());
        text.Should().Contain("<edXML:StatusCode>01</edXML:StatusCode>");
        text.Should().Contain("<edXML:Timestamp>2026/11/30 09:03:04</edXML:Timestamp>");
        var back = _reader.ReadStatus(new MemoryStream(output.ToArray())).Report;
        back.DocumentId.Should().Be(report.DocumentId);
        back.FromOrganId.Should().Be("000.00.00.H41");
        back.Code.Should().Be(StatusCode.Arrived);
        back.Timestamp.Should().Be(report.Timestamp);
    }

    [Theory]
    [InlineData(StatusCode.Unspecified, "/StatusCode")]
    [InlineData((StatusCode)7, "/StatusCode")]
    public void WriteStatus_InvalidCode_Refused(StatusCode code, string pathEnd)
    {
        var report = new StatusReport { DocumentId = "d", FromOrganId = "000.00.00.H41", Code = code, Timestamp = new Timestamp() };

        var act = () => _writer.WriteStatus(report, new MemoryStream());

        act.Should().Throw<EdXmlException>().Which.ElementPath.Should().EndWith(pathEnd);
    }

    private byte[] Write(DocumentManifest manifest, params ReadOnlyMemory<byte>[] contents)
    {
        using var output = new MemoryStream();
        _writer.WriteDocument(manifest, contents, output);
        return output.ToArray();
    }

    private static DocumentHeader FullHeader()
    {
        var org = (string id, string name) => new Organization
        {
            OrganId = id, OrganizationInCharge = name, OrganName = name, OrganAddress = "Hà Nội",
            Email = "a@gov.vn", Telephone = "024", Fax = "024-1", Website = "gov.vn",
        };
        var header = new DocumentHeader
        {
            From = org("000.00.00.G22", "Văn phòng Chính phủ"),
            Code = new DocumentCode { CodeNumber = "12", CodeNotation = "VPCP-TTĐT" },
            PromulgationInfo = new PromulgationInfo { Place = "Hà Nội", PromulgationDate = new Date { Year = 2026, Month = 11, Day = 30 } },
            DocumentType = new DocumentType { Type = 18, TypeDetail = 2, TypeName = "Công văn" },
            Subject = "V/v <thử> & \"kiểm tra\"",
            Content = "Nội dung\nhai dòng",
            SignerInfo = new SignerInfo { Competence = "KT. BỘ TRƯỞNG", Position = "Thứ trưởng", FullName = "Nguyễn Văn A" },
            DueDate = new Date { Year = 2026, Month = 12, Day = 31 },
            OtherInfo = new OtherInfo
            {
                Priority = Priority.Flash, SphereOfPromulgation = "Toàn quốc", TyperNotation = "NVA",
                PromulgationAmount = 3, PageAmount = 4, Direction = true, Classification = Classification.Unclassified,
            },
            SteeringType = 1,
            DocumentId = "000.00.00.G22,2026/11/30,12/VPCP-TTĐT",
            Business = new Business
            {
                Type = BusinessType.Replace, TargetDocumentId = "000.00.00.G22,2026/11/01,1/VPCP-TTĐT", Reason = "Thay thế",
                Paper = 1, DocumentInfo = "1", DocumentReceiver = "0",
                StaffInfo = new StaffInfo { Department = "Văn thư", Staff = "B", Mobile = "09", Email = "b@gov.vn" },
            },
        };
        header.To.Add(org("000.00.00.H41", "UBND Tỉnh Nghệ An"));
        header.To.Add(org("000.00.00.H14", "UBND Tỉnh Cao Bằng"));
        header.ToPlaces.Add("Như trên");
        header.ToPlaces.Add("Lưu: VT");
        header.OtherInfo.Appendixes.Add("Phụ lục I");
        header.ResponseFor.Add(new ResponseFor { OrganId = "000.00.00.H41", Code = "5/UBND", DocumentId = "000.00.00.H41,2026/10/01,5/UBND", PromulgationDate = new Date { Year = 2026, Month = 10, Day = 1 } });
        header.ResponseFor.Add(new ResponseFor { OrganId = "000.00.00.H14", Code = "6/UBND", DocumentId = "000.00.00.H14,2026/10/02,6/UBND" });
        header.Business.Receivers.Add(new Receiver { OrganId = "000.00.00.H41", ReceiverType = 1 });
        var replacement = new ReplacementInfo { DocumentId = "000.00.00.G22,2026/11/01,1/VPCP-TTĐT" };
        replacement.OrganIds.Add("000.00.00.H41");
        header.Business.Replacements.Add(replacement);
        header.TraceHeaders.Add(new TraceHeader { OrganId = "000.00.00.G22", Timestamp = Timestamp.FromDateTime(new DateTime(2026, 11, 30, 1, 2, 3, DateTimeKind.Utc)) });
        return header;
    }
}
