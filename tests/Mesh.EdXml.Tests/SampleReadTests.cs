using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FluentAssertions;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Common.V1;
using Mesh.Contracts.Routing.V1;
using Xunit;

namespace Mesh.EdXml.Tests;

public sealed class SampleReadTests
{
    private readonly EdXmlReader _reader = new();

    [Theory]
    [MemberData(nameof(Samples.All), MemberType = typeof(Samples))]
    public void Read_EverySample_Parses(string file)
    {
        using var input = Samples.Open(file);

        var package = _reader.Read(input);

        package.Kind.Should().Be(file.StartsWith("status", StringComparison.Ordinal) ? EdXmlPackageKind.Status : EdXmlPackageKind.Document);
        (package.Document is null).Should().NotBe(package.Status is null);
        (package.Document?.IgnoredElements ?? package.Status!.IgnoredElements).Should().BeEmpty("every element of the SDK samples has a Mesh field");
    }

    [Fact]
    public void ReadDocument_NewSample_MapsEveryHeaderField()
    {
        using var input = Samples.Open("edoc_new.payload-elided.edxml");

        var doc = _reader.ReadDocument(input);

        var h = doc.Manifest.Header;
        h.From.Should().Be(new Organization
        {
            OrganId = "000.00.00.A80",
            OrganizationInCharge = "UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
            OrganName = "UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
            OrganAddress = "Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội",
            Email = "vpcp@gov.vn",
            Telephone = "8043100",
            Fax = "048989898789",
            Website = "vpcp.vn",
        });
        h.To.Select(t => t.OrganId).Should().Equal("28.22.H17");
        h.To[0].Telephone.Should().Be("(84-4) 3821 5137");
        h.DocumentId.Should().Be("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT");
        h.Code.Should().Be(new DocumentCode { CodeNumber = "74fass22", CodeNotation = "VPCP-TTĐT" });
        h.PromulgationInfo.Should().Be(new PromulgationInfo { Place = "Hà Nội", PromulgationDate = new Date { Year = 2019, Month = 1, Day = 16 } });
        h.DocumentType.Should().Be(new DocumentType { Type = 1, TypeDetail = 0, TypeName = "Công văn" });
        h.Subject.Should().Be("V/v kết nối, liên thông phần mềm quản lý văn bản");
        h.Content.Should().Be("V/v kết nối, liên thông phần mềm quản lý văn bản");
        h.SignerInfo.Should().Be(new SignerInfo { Competence = "TL. BO TRUONG", Position = "Cuc truong cuc ung dung cong nghe thong tin", FullName = "Nguyen Thanh Phuc" });
        h.DueDate.Should().Be(new Date { Year = 2018, Month = 9, Day = 28 });
        h.OtherInfo.Priority.Should().Be(Priority.Normal);
        h.OtherInfo.SphereOfPromulgation.Should().Be("Liên thông văn bản quốc gia");
        h.OtherInfo.TyperNotation.Should().Be("TVC");
        h.OtherInfo.PromulgationAmount.Should().Be(2);
        h.OtherInfo.PageAmount.Should().Be(22);
        h.OtherInfo.Direction.Should().BeFalse();
        h.OtherInfo.Appendixes.Should().Equal("Công văn về việc kết nối, liên thông phần mềm quản lý văn bản");
        h.SteeringType.Should().Be(1);
        h.ToPlaces.Should().Equal("Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP");
        h.ResponseFor.Should().BeEmpty();
        h.Business.Type.Should().Be(BusinessType.New);
        h.Business.TargetDocumentId.Should().Be("000.00.00.G22,2014/02/30,7806/VPCP-TTĐT");
        h.Business.Reason.Should().Be("Văn bản điện tử mới");
        h.Business.Paper.Should().Be(0);
        h.Business.StaffInfo.Should().Be(new StaffInfo { Department = "Văn thư văn phòng", Staff = "Nguyễn Thị Ngọc Trâm", Email = "vanthuvanphong@gov.vn", Mobile = "84912000001" });
    }

    [Fact]
    public void ReadDocument_NewSample_TraceHeaderIsVietnamTimeInUtc()
    {
        using var input = Samples.Open("edoc_new.payload-elided.edxml");

        var doc = _reader.ReadDocument(input);

        // 2018/09/28 00:00:00 in Asia/Ho_Chi_Minh (UTC+7) is 2018-09-27T17:00:00Z.
        doc.TraceHeaders.Should().ContainSingle();
        doc.TraceHeaders[0].OrganId.Should().Be("000.00.00.G22");
        doc.TraceHeaders[0].Timestamp.Should().Be(Timestamp.FromDateTime(new DateTime(2018, 9, 27, 17, 0, 0, DateTimeKind.Utc)));
    }

    [Theory]
    [MemberData(nameof(Samples.Documents), MemberType = typeof(Samples))]
    public void ReadDocument_ElidedPayload_DigestAndSizeComputedFromDecodedBytes(string file)
    {
        var text = Encoding.UTF8.GetString(Samples.Bytes(file));
        var base64 = Regex.Match(text, "<edXML:ContentTransferEncoded[^>]*>([^<]*)<").Groups[1].Value;
        var expected = Convert.FromBase64String(base64);
        using var input = Samples.Open(file);

        var doc = _reader.ReadDocument(input);

        var attachment = doc.Attachments.Should().ContainSingle().Subject;
        attachment.Content.ToArray().Should().Equal(expected);
        attachment.Descriptor.Size.Should().Be(expected.Length);
        attachment.Descriptor.Sha256.ToByteArray().Should().Equal(SHA256.HashData(expected));
        attachment.Descriptor.Should().BeSameAs(doc.Manifest.Attachments[0]);
        attachment.Descriptor.Name.Should().Be("1896_QD-TTg_m_294779.doc");
        attachment.Descriptor.MediaType.Should().Be("application/zip");
        attachment.Descriptor.ContentId.Should().Be("cid:209");
        attachment.Descriptor.Description.Should().Be("1896_QD-TTg_m_294779.doc");
        attachment.Descriptor.Role.Should().Be(AttachmentRole.MainDocument);
    }

    [Theory]
    [MemberData(nameof(Samples.Documents), MemberType = typeof(Samples))]
    public void ReadDocument_ElidedPayload_IsAZipOfOnePlaceholderKeptZipped(string file)
    {
        using var input = Samples.Open(file);

        var attachment = _reader.ReadDocument(input).Attachments[0];

        // The elided samples carry a tiny ZIP of placeholder.txt where the SDK had a zipped nested
        // edXML; the bridge keeps the ZIP bytes as they are and only lists what is inside.
        EdXmlZip.LooksLikeZip(attachment.Content.Span).Should().BeTrue();
        var entry = attachment.ListZipEntries().Should().ContainSingle().Subject;
        entry.FullName.Should().Be("placeholder.txt");
        entry.Length.Should().BeGreaterThan(0);
    }

    [Theory]
    [MemberData(nameof(Samples.Documents), MemberType = typeof(Samples))]
    public void ReadDocument_UnprefixedSignature_KeptAsRawXml(string file)
    {
        using var input = Samples.Open(file);

        var doc = _reader.ReadDocument(input);

        doc.SignatureXml.Should().StartWith("<Signature");
        doc.SignatureXml.Should().Contain("xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"", "the unprefixed Signature inherits the edXML default namespace");
        doc.SignatureXml.Should().Contain("<DigestValue>FwgIqsSYJshUS2+wlOM61L+q7Aw=</DigestValue>");
        doc.SignatureXml.Should().Contain("<X509SubjectName>CN=user05</X509SubjectName>");
        doc.SignatureXml.Should().EndWith("</Signature>");
    }

    [Fact]
    public void ReadDocument_RevocationSample_MapsResponseForAndRevoke()
    {
        using var input = Samples.Open("edoc_revocation.payload-elided.edxml");

        var doc = _reader.ReadDocument(input);

        var h = doc.Manifest.Header;
        h.From.OrganId.Should().Be("000.00.00.G22");
        h.To.Select(t => t.OrganId).Should().Equal("000.00.00.H41", "000.00.00.H14", "000.00.00.G17");
        h.Code.CodeNumber.Should().Be("7816");
        h.PromulgationInfo.PromulgationDate.Should().Be(new Date { Year = 2018, Month = 9, Day = 28 });
        h.ResponseFor.Should().Equal(new ResponseFor
        {
            OrganId = "000.00.00.H14",
            Code = "267/VPCP-TTĐT",
            DocumentId = "000.00.04.G14,2012/08/06,267/VPCP-TTĐT",
            PromulgationDate = new Date { Year = 2018, Month = 9, Day = 28 },
        });
        h.Business.Type.Should().Be(BusinessType.Revoke);
        h.Business.Reason.Should().Be("Thu hồi văn bản điện tử");
        h.Business.TargetDocumentId.Should().BeEmpty("the revocation sample's Bussiness has no DocumentId; ResponseFor names the target");
    }

    [Fact]
    public void ReadDocument_UpdateSample_MapsBusinessDocumentInfo()
    {
        using var input = Samples.Open("edoc_update.payload-elided.edxml");

        var doc = _reader.ReadDocument(input);

        var b = doc.Manifest.Header.Business;
        b.Type.Should().Be(BusinessType.Update);
        b.TargetDocumentId.Should().Be("000.00.00.G22,2014/02/30,7806/VPCP-TTĐT");
        b.Reason.Should().Be("Cập nhật văn bản điện tử");
        b.DocumentInfo.Should().Be("1");
        b.DocumentReceiver.Should().Be("1");
        b.Receivers.Should().Equal(
            new Receiver { OrganId = "000.00.00.H41", ReceiverType = 0 },
            new Receiver { OrganId = "000.00.00.H14", ReceiverType = 1 });
        doc.Manifest.Header.To.Should().HaveCount(3);
        doc.Manifest.Header.To[2].OrganName.Should().Be("Sở Thông tin truyền thông Hải Phòng");
    }

    [Fact]
    public void ReadDocument_ReplacementSample_MapsReplacementInfoList()
    {
        using var input = Samples.Open("edoc_replacement.payload-elided.edxml");

        var doc = _reader.ReadDocument(input);

        var b = doc.Manifest.Header.Business;
        b.Type.Should().Be(BusinessType.Replace);
        b.Reason.Should().Be("Văn bản thay thế");
        b.Replacements.Should().HaveCount(2);
        b.Replacements.Should().AllSatisfy(r =>
        {
            r.DocumentId.Should().Be("000.00.00.G22,2014/01/30,7806/VPCP-TTĐT");
            r.OrganIds.Should().Equal("000.00.00.H41", "000.00.00.H14");
        });
        b.Receivers.Should().BeEmpty();
    }

    [Theory]
    [InlineData("status.edxml", StatusCode.Arrived, "000.00.00.H41", "000.00.00.G22", "Đã đến", 2018, 9, 28, 10, 25, 11)]
    [InlineData("status_inbox_01.edxml", StatusCode.Arrived, "000.00.00.H41", "000.00.00.G22", "Đã đến", 2015, 9, 20, 4, 8, 36)]
    [InlineData("status_rejection_02.edxml", StatusCode.Rejected, "000.00.00.H41", "000.00.00.G22", "Từ chối không tiếp nhận", 2015, 9, 20, 4, 8, 36)]
    [InlineData("status_acceptance_03.edxml", StatusCode.Accepted, "000.00.00.H41", "000.00.00.G22", "vào sổ văn bản đến", 2015, 9, 20, 4, 8, 36)]
    [InlineData("status_assignment_04.edxml", StatusCode.Assigned, "000.00.00.H41", "000.00.00.G22", "Phân công xử lý", 2015, 9, 20, 4, 8, 36)]
    [InlineData("status_processing_05.edxml", StatusCode.Processing, "000.00.00.H41", "000.00.00.G22", "Đang xử lý", 2015, 9, 20, 4, 8, 36)]
    [InlineData("status_finish_06.edxml", StatusCode.Finished, "000.00.00.H41", "000.00.00.G22", "hoàn thành xử lý", 2015, 9, 20, 4, 8, 36)]
    [InlineData("status_cancellation_13.edxml", StatusCode.WithdrawRequested, "000.00.00.G22", "000.00.00.H41", "yêu cầu lấy lại", 2015, 9, 20, 4, 8, 36)]
    [InlineData("status_change-acceptance_15.edxml", StatusCode.WithdrawAccepted, "000.00.00.H41", "000.00.00.G22", "đồng ý yêu cầu", 2015, 9, 20, 4, 8, 36)]
    [InlineData("status_change-rejection_16.edxml", StatusCode.WithdrawRefused, "000.00.00.H41", "000.00.00.G22", "từ chối yêu cầu", 2015, 9, 20, 4, 8, 36)]
    public void ReadStatus_Sample_MapsCodeSenderCounterpartyAndUtcTime(string file, StatusCode code, string from, string counterparty,
        string descriptionPart, int y, int mo, int d, int hUtc, int mi, int s)
    {
        using var input = Samples.Open(file);

        var status = _reader.ReadStatus(input);

        var r = status.Report;
        r.Code.Should().Be(code);
        r.FromOrganId.Should().Be(from);
        r.From.OrganId.Should().Be(from);
        r.ResponseFor.OrganId.Should().Be(counterparty);
        r.ResponseFor.Code.Should().Be("7816/VPCP-TTĐT");
        r.DocumentId.Should().Be("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT");
        r.ResponseFor.DocumentId.Should().Be(r.DocumentId);
        r.Description.Should().Contain(descriptionPart);
        r.Timestamp.Should().Be(Timestamp.FromDateTime(new DateTime(y, mo, d, hUtc, mi, s, DateTimeKind.Utc)));
        status.SignatureXml.Should().BeNull();
        status.TraceHeaders.Should().BeEmpty();
    }

    [Fact]
    public void ReadStatus_AcceptanceSample_MapsStaffAndFullSender()
    {
        using var input = Samples.Open("status_acceptance_03.edxml");

        var r = _reader.ReadStatus(input).Report;

        r.StaffInfo.Should().Be(new StaffInfo { Department = "Phong hanh chinh", Staff = "Nguyen thi ngoc tram", Mobile = "84912000001", Email = "ngoctram@nghean.vn" });
        r.From.OrganName.Should().Be("UBND Tỉnh Nghệ An");
        r.From.Website.Should().Be("www.nghean.vn");
        r.ResponseFor.PromulgationDate.Should().Be(new Date { Year = 2015, Month = 9, Day = 30 });
    }

    [Fact]
    public void ReadStatus_CancellationSample_KeepsShortFax()
    {
        using var input = Samples.Open("status_cancellation_13.edxml");

        var r = _reader.ReadStatus(input).Report;

        r.From.OrganName.Should().Be("Văn phòng Chính phủ");
        r.From.Fax.Should().Be("04");
    }
}
