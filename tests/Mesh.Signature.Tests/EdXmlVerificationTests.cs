using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using Mesh.Signature.Domain;
using Mesh.Signature.Infrastructure;
using Mesh.Signature.Tests.Support;

namespace Mesh.Signature.Tests;

public sealed class EdXmlVerificationTests
{
    private readonly TestPki _pki = new(Harness.RealNow());

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepoPaths.EdXml, "*.edxml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    private static string NewDocument() => File.ReadAllText(Path.Combine(RepoPaths.EdXml, "edoc_new.payload-elided.edxml"));

    private static byte[] Sign(string xml, X509Certificate2 certificate, bool exclusive = true)
    {
        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(xml);
        foreach (var placeholder in document.GetElementsByTagName("Signature", XmlSignatureReader.EdXmlNamespace).Cast<XmlElement>().ToList())
        {
            placeholder.ParentNode!.RemoveChild(placeholder);
        }

        AsymmetricAlgorithm key = certificate.GetRSAPrivateKey() as AsymmetricAlgorithm ?? certificate.GetECDsaPrivateKey()!;
        var signed = new SignedXml(document) { SigningKey = key };
        signed.SignedInfo!.CanonicalizationMethod = exclusive ? SignedXml.XmlDsigExcC14NTransformUrl : SignedXml.XmlDsigC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = key is RSA ? SignedXml.XmlDsigRSASHA256Url : EcdsaXmlSignature.Sha256Url;
        var reference = new Reference("") { DigestMethod = SignedXml.XmlDsigSHA256Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(exclusive ? new XmlDsigExcC14NTransform() : new XmlDsigC14NTransform());
        signed.AddReference(reference);
        var keyInfo = new KeyInfo();
        keyInfo.AddClause(new KeyInfoX509Data(certificate));
        signed.KeyInfo = keyInfo;
        signed.ComputeSignature();
        document.GetElementsByTagName("edXMLHeader", XmlSignatureReader.EdXmlNamespace)[0]!.AppendChild(document.ImportNode(signed.GetXml(), deep: true));
        return Encoding.UTF8.GetBytes(document.OuterXml);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task VerifyXml_EdXmlSignedWithRsaSha256_TotalPassed(bool exclusive)
    {
        var harness = new Harness(_pki);
        using var rsa = RSA.Create(2048);
        var signer = _pki.IssueLeaf("CN=Van thu, O=Van phong Chinh phu, C=VN", key: rsa);
        var xml = Sign(NewDocument(), signer, exclusive);

        var report = await harness.Verifier.VerifyXmlAsync(xml, null, CancellationToken.None);

        var signature = report.Signatures.Should().ContainSingle().Subject;
        signature.Indication.Should().Be(Indication.TotalPassed, signature.Reason);
        signature.Format.Should().Be(SignatureFormat.XmlDsig);
        signature.Signer!.Organization.Should().Be("Van phong Chinh phu");
        signature.DigestAlgorithm.Should().Be("SHA256");
    }

    [Fact]
    public async Task VerifyXml_EdXmlSignedWithEcdsa_TotalPassed()
    {
        var harness = new Harness(_pki);
        var xml = Sign(NewDocument(), _pki.IssueLeaf());

        var report = await harness.Verifier.VerifyXmlAsync(xml, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
    }

    [Fact]
    public async Task VerifyXml_SubjectChangedAfterSigning_TotalFailedHashFailure()
    {
        var harness = new Harness(_pki);
        using var rsa = RSA.Create(2048);
        var xml = Encoding.UTF8.GetString(Sign(NewDocument(), _pki.IssueLeaf(key: rsa)));
        var tampered = xml.Replace("V/v kết nối, liên thông", "V/v hủy kết nối", StringComparison.Ordinal);

        var report = await harness.Verifier.VerifyXmlAsync(Encoding.UTF8.GetBytes(tampered), null, CancellationToken.None);

        tampered.Should().NotBe(xml);
        report.Signatures[0].SubIndication.Should().Be(SubIndication.HashFailure);
    }

    [Fact]
    public async Task VerifyXml_SignatureValueChanged_TotalFailedSigCrypto()
    {
        var harness = new Harness(_pki);
        using var rsa = RSA.Create(2048);
        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(Encoding.UTF8.GetString(Sign(NewDocument(), _pki.IssueLeaf(key: rsa))));
        var value = document.GetElementsByTagName("SignatureValue", SignedXml.XmlDsigNamespaceUrl)[0]!;
        var bytes = Convert.FromBase64String(value.InnerText);
        bytes[7] ^= 1;
        value.InnerText = Convert.ToBase64String(bytes);

        var report = await harness.Verifier.VerifyXmlAsync(Encoding.UTF8.GetBytes(document.OuterXml), null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.SigCryptoFailure);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task VerifyXml_SdkSample_ParsesAndFailsWithReason(string file)
    {
        var harness = new Harness(_pki);
        var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.EdXml, file));

        var parsed = XmlSignatureReader.Load(bytes, harness.Options.MaxXmlBytes);
        var report = await harness.Verifier.VerifyXmlAsync(bytes, null, CancellationToken.None);

        parsed.DocumentElement!.LocalName.Should().Be("edXML");
        var signature = report.Signatures.Should().ContainSingle().Subject;
        signature.Indication.Should().NotBe(Indication.TotalPassed);
        signature.Reason.Should().NotBeNullOrWhiteSpace();
        if (file.StartsWith("edoc_", StringComparison.Ordinal))
        {
            // The SDK placeholder: truncated X509Certificate, RSA-SHA1, a non-standard exc-c14n URI.
            signature.SubIndication.Should().Be(SubIndication.FormatFailure);
            string.Join(" | ", signature.Warnings.Append(signature.Reason)).Should().Contain("certificate").And.Contain("SHA1");
        }
        else
        {
            signature.Reason.Should().Contain("no Signature");
        }
    }

    [Fact]
    public async Task VerifyXml_ExternalEntity_RefusedFormatFailure()
    {
        var harness = new Harness(_pki);
        var xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&xxe;</Subject></edXML>
            """;

        var report = await harness.Verifier.VerifyXmlAsync(Encoding.UTF8.GetBytes(xxe), null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.FormatFailure);
        report.Signatures[0].Reason.Should().Contain("DTD");
    }

    [Fact]
    public async Task VerifyXml_BillionLaughs_RefusedFormatFailure()
    {
        var harness = new Harness(_pki);
        var entities = new StringBuilder("<!ENTITY lol0 \"lol\">");
        for (var i = 1; i < 10; i++)
        {
            entities.Append(System.Globalization.CultureInfo.InvariantCulture, $"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{i - 1};", 10))}\">");
        }

        var bomb = $"<?xml version=\"1.0\"?><!DOCTYPE edXML [{entities}]><edXML>&lol9;</edXML>";

        var report = await harness.Verifier.VerifyXmlAsync(Encoding.UTF8.GetBytes(bomb), null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.FormatFailure);
    }

    [Fact]
    public async Task VerifyXml_XsltTransform_RefusedBeforeEvaluation()
    {
        var harness = new Harness(_pki);
        var xml = Encoding.UTF8.GetString(Sign(NewDocument(), _pki.IssueLeaf()))
            .Replace("http://www.w3.org/2001/10/xml-exc-c14n#\" />", "http://www.w3.org/TR/1999/REC-xslt-19991116\" />", StringComparison.Ordinal)
            .Replace("http://www.w3.org/2001/10/xml-exc-c14n#\"/>", "http://www.w3.org/TR/1999/REC-xslt-19991116\"/>", StringComparison.Ordinal);

        var report = await harness.Verifier.VerifyXmlAsync(Encoding.UTF8.GetBytes(xml), null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.FormatFailure);
        report.Signatures[0].Reason.Should().Contain("xslt");
    }

    [Fact]
    public async Task VerifyXml_ExternalReferenceUri_RefusedFormatFailure()
    {
        var harness = new Harness(_pki);
        var xml = Encoding.UTF8.GetString(Sign(NewDocument(), _pki.IssueLeaf())).Replace("URI=\"\"", "URI=\"http://attacker.example/doc.xml\"", StringComparison.Ordinal);

        var report = await harness.Verifier.VerifyXmlAsync(Encoding.UTF8.GetBytes(xml), null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.FormatFailure);
        report.Signatures[0].Reason.Should().Contain("attacker.example");
    }

    [Fact]
    public async Task VerifyXml_TwoSignatureElements_RefusedFormatFailure()
    {
        var harness = new Harness(_pki);
        var xml = Encoding.UTF8.GetString(Sign(NewDocument(), _pki.IssueLeaf()));
        var start = xml.IndexOf("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"", StringComparison.Ordinal);
        var end = xml.IndexOf("</Signature>", start, StringComparison.Ordinal) + "</Signature>".Length;
        var doubled = xml.Insert(end, xml[start..end]);

        var report = await harness.Verifier.VerifyXmlAsync(Encoding.UTF8.GetBytes(doubled), null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.FormatFailure);
        report.Signatures[0].Reason.Should().Contain("2 Signature elements");
    }

    [Fact]
    public async Task VerifyXml_AboveSizeLimit_RefusedFormatFailure()
    {
        var harness = new Harness(_pki, o => o.MaxXmlBytes = 4096);
        var xml = Sign(NewDocument(), _pki.IssueLeaf());

        var report = await harness.Verifier.VerifyXmlAsync(xml, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.FormatFailure);
        report.Signatures[0].Reason.Should().Contain("limit");
    }
}
