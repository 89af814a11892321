using System.Text;
using Mesh.Signature.Domain;
using Mesh.Signature.Tests.Support;

namespace Mesh.Signature.Tests;

public sealed class PdfVerificationTests
{
    private readonly TestPki _pki = new(Harness.RealNow());

    [Fact]
    public async Task VerifyPdf_SignedInTest_TotalPassedCoveringWholeDocument()
    {
        var harness = new Harness(_pki);
        var person = _pki.IssueLeaf("CN=Nguyen Van A, O=UBND Tinh Quang Ninh, C=VN");
        var pdf = PdfBuilder.CreateSigned(person, _pki.Now.AddMinutes(-3));

        var report = await harness.Verifier.VerifyPdfAsync(pdf, null, CancellationToken.None);

        var signature = report.Signatures.Should().ContainSingle().Subject;
        signature.Indication.Should().Be(Indication.TotalPassed, signature.Reason);
        signature.Format.Should().Be(SignatureFormat.Pades);
        signature.Pdf!.CoversWholeDocument.Should().BeTrue();
        signature.Pdf.SubFilter.Should().Be("adbe.pkcs7.detached");
        signature.Pdf.SignerName.Should().Be("Nguyen Van A");
        signature.Signer!.Organization.Should().Be("UBND Tinh Quang Ninh");
        signature.Warnings.Should().BeEmpty();
    }

    [Fact]
    public async Task VerifyPdf_ContentsWrappedAndUpperCase_StillTotalPassed()
    {
        var harness = new Harness(_pki);
        var pdf = PdfBuilder.CreateSigned(_pki.IssueLeaf(), _pki.Now.AddMinutes(-3));
        var (start, end) = ContentsHole(pdf);

        // Writers wrap the hole's hex and may write it in capitals; the hole is not signed, so neither matters.
        for (var i = start; i < end; i++)
        {
            pdf[i] = (byte)char.ToUpperInvariant((char)pdf[i]);
        }

        Encoding.Latin1.GetBytes(" \r\n ").CopyTo(pdf, end - 8);
        var report = await harness.Verifier.VerifyPdfAsync(pdf, null, CancellationToken.None);

        report.Signatures.Should().ContainSingle().Which.Indication.Should().Be(Indication.TotalPassed);
    }

    [Theory]
    [InlineData("0 ")]
    [InlineData("0\t")]
    [InlineData("0g")]
    public async Task VerifyPdf_ContentsNotHexPairs_FormatFailure(string tail)
    {
        var harness = new Harness(_pki);
        var pdf = PdfBuilder.CreateSigned(_pki.IssueLeaf(), _pki.Now.AddMinutes(-3));
        var (_, end) = ContentsHole(pdf);
        Encoding.Latin1.GetBytes(tail).CopyTo(pdf, end - tail.Length);

        var report = await harness.Verifier.VerifyPdfAsync(pdf, null, CancellationToken.None);

        var signature = report.Signatures.Should().ContainSingle().Subject;
        signature.SubIndication.Should().Be(SubIndication.FormatFailure);
        signature.Reason.Should().Contain("hexadecimal");
    }

    [Fact]
    public async Task VerifyPdf_ByteInsideByteRangeChanged_TotalFailedHashFailure()
    {
        var harness = new Harness(_pki);
        var pdf = PdfBuilder.CreateSigned(_pki.IssueLeaf(), _pki.Now.AddMinutes(-3));
        var at = Encoding.Latin1.GetString(pdf).IndexOf("595 842", StringComparison.Ordinal);
        pdf[at] = (byte)'6';

        var report = await harness.Verifier.VerifyPdfAsync(pdf, null, CancellationToken.None);

        report.Signatures[0].Indication.Should().Be(Indication.TotalFailed);
        report.Signatures[0].SubIndication.Should().Be(SubIndication.HashFailure);
    }

    [Fact]
    public async Task VerifyPdf_IncrementalUpdateAfterSigning_ReportedAsNotCovered()
    {
        var harness = new Harness(_pki);
        var signed = PdfBuilder.CreateSigned(_pki.IssueLeaf(), _pki.Now.AddMinutes(-3));
        var modified = PdfBuilder.AppendUnsignedUpdate(signed);

        var report = await harness.Verifier.VerifyPdfAsync(modified, null, CancellationToken.None);

        var signature = report.Signatures.Should().ContainSingle().Subject;
        signature.Indication.Should().Be(Indication.TotalPassed, "the signed revision itself is intact");
        signature.Pdf!.CoversWholeDocument.Should().BeFalse();
        signature.Pdf.BytesAppendedAfterSigning.Should().Be(modified.Length - signed.Length);
        signature.Warnings.Should().Contain(w => w.Contains("incremental update", StringComparison.Ordinal))
            .And.Contain(w => w.Contains("not covered by any signature", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyPdf_PersonalThenOrganisationalSignature_BothReportedWithIdentities()
    {
        var harness = new Harness(_pki);
        var person = _pki.IssueLeaf("CN=Nguyen Van A, O=UBND Tinh Quang Ninh, C=VN");
        var agency = _pki.IssueLeaf("CN=UBND Tinh Quang Ninh, O=UBND Tinh Quang Ninh, C=VN");
        var pdf = PdfBuilder.AppendSignature(PdfBuilder.CreateSigned(person, _pki.Now.AddMinutes(-5)), agency, _pki.Now.AddMinutes(-2));

        var report = await harness.Verifier.VerifyPdfAsync(pdf, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, string.Join("; ", report.Signatures.Select(s => s.Reason)));
        report.Signatures.Select(s => s.Signer!.CommonName).Should().Equal("Nguyen Van A", "UBND Tinh Quang Ninh");
        report.Signatures[0].Pdf!.CoversWholeDocument.Should().BeFalse();
        report.Signatures[1].Pdf!.CoversWholeDocument.Should().BeTrue();
        report.Signatures[1].Pdf!.SubFilter.Should().Be("ETSI.CAdES.detached");
        report.Signatures[1].SigningTimeSource.Should().Be(SigningTimeSource.PdfSignatureDictionary);
        report.Signatures[1].SigningTime.Should().Be(_pki.Now.AddMinutes(-2));
    }

    [Fact]
    public async Task VerifyPdf_ByteRangeShortOfRevisionEnd_FormatFailure()
    {
        var harness = new Harness(_pki);
        var pdf = PdfBuilder.CreateSigned(_pki.IssueLeaf(), _pki.Now.AddMinutes(-3), coverageGap: 40);

        var report = await harness.Verifier.VerifyPdfAsync(pdf, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.FormatFailure);
        report.Signatures[0].Reason.Should().Contain("whole revision");
    }

    [Fact]
    public async Task VerifyPdf_Truncated_FormatFailureAtEveryLength()
    {
        var harness = new Harness(_pki);
        var pdf = PdfBuilder.CreateSigned(_pki.IssueLeaf(), _pki.Now.AddMinutes(-3));

        var outcomes = new List<SubIndication>();
        for (var length = 0; length < pdf.Length; length += 97)
        {
            var report = await harness.Verifier.VerifyPdfAsync(pdf.AsMemory(0, length), null, CancellationToken.None);
            outcomes.AddRange(report.Signatures.Select(s => s.SubIndication));
        }

        outcomes.Should().NotBeEmpty().And.OnlyContain(s => s == SubIndication.FormatFailure);
    }

    // The hex digits of the /Contents hole: after '<', before '>'.
    private static (int Start, int End) ContentsHole(byte[] pdf)
    {
        var text = Encoding.Latin1.GetString(pdf);
        var start = text.IndexOf("/Contents <", StringComparison.Ordinal) + "/Contents <".Length;
        return (start, text.IndexOf('>', start));
    }

    [Theory]
    [InlineData("")]
    [InlineData("this is not a pdf at all")]
    [InlineData("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")]
    [InlineData("%PDF-1.7\n/ByteRange [0 10 20 999999] /Contents <00>\n%%EOF\n")]
    [InlineData("%PDF-1.7\n/ByteRange [0 1\n%%EOF")]
    [InlineData("%PDF-1.7\n/Contents <zz> /ByteRange [0 9 13 8]\n%%EOF\n")]
    public async Task VerifyPdf_GarbageOrMalformed_FormatFailure(string text)
    {
        var harness = new Harness(_pki);

        var report = await harness.Verifier.VerifyPdfAsync(Encoding.Latin1.GetBytes(text), null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalFailed);
        report.Signatures.Should().OnlyContain(s => s.SubIndication == SubIndication.FormatFailure);
    }

    [Fact]
    public async Task VerifyPdf_RandomBytesWithPdfHeader_FormatFailureNotException()
    {
        var harness = new Harness(_pki);
        var random = new Random(20261130);
        var bytes = new byte[64 * 1024];
        random.NextBytes(bytes);
        var pdf = Encoding.Latin1.GetBytes("%PDF-1.7\n/ByteRange [0 100 300 500] /Contents <").Concat(bytes).Concat(Encoding.Latin1.GetBytes("\n%%EOF\n")).ToArray();

        var report = await harness.Verifier.VerifyPdfAsync(pdf, null, CancellationToken.None);

        report.Signatures.Should().OnlyContain(s => s.SubIndication == SubIndication.FormatFailure);
    }
}
