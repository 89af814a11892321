using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text;
using Mesh.Signature.Domain;
using Mesh.Signature.Tests.Support;

namespace Mesh.Signature.Tests;

public sealed class CmsVerificationTests
{
    private static readonly byte[] s_manifest = Encoding.UTF8.GetBytes("{\"documentId\":\"000.00.00.G22,2026/11/30,7816/VPCP-TTĐT\"}");
    private readonly TestPki _pki = new(Harness.RealNow());

    [Fact]
    public async Task VerifyCms_DetachedEcdsa_TotalPassedCadesBesWithSigner()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1));

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
        var signature = report.Signatures.Should().ContainSingle().Subject;
        signature.Format.Should().Be(SignatureFormat.CadesBes);
        signature.SigningTime.Should().Be(_pki.Now.AddMinutes(-1));
        signature.SigningTimeSource.Should().Be(SigningTimeSource.SigningTimeAttribute);
        signature.Signer!.Subject.Should().Be(leaf.Subject);
        signature.Chain.Should().HaveCount(3);
        signature.DigestAlgorithm.Should().Be("SHA256");
    }

    [Fact]
    public async Task VerifyCms_AttachedRsaPkcs1_TotalPassed()
    {
        var harness = new Harness(_pki);
        using var rsa = RSA.Create(2048);
        var leaf = _pki.IssueLeaf(key: rsa);
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1), detached: false);

        var report = await harness.Verifier.VerifyCmsAsync(cms, null, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
    }

    [Fact]
    public async Task VerifyCms_RsaPss_TotalPassed()
    {
        var harness = new Harness(_pki);
        using var rsa = RSA.Create(3072);
        var leaf = _pki.IssueLeaf(key: rsa);
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1), padding: RSASignaturePadding.Pss);

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
        report.Signatures[0].SignatureAlgorithm.Should().StartWith("RSASSA-PSS");
    }

    [Fact]
    public async Task VerifyCms_TwoSigners_OneReportEach()
    {
        var harness = new Harness(_pki);
        var person = _pki.IssueLeaf("CN=Tran Thi B, O=Bo Tai chinh, C=VN");
        var agency = _pki.IssueLeaf("CN=Bo Tai chinh, O=Bo Tai chinh, C=VN");
        var signed = new SignedCms(new ContentInfo(s_manifest), detached: true);
        TestPki.AddSigner(signed, person, _pki.Now.AddMinutes(-2));
        TestPki.AddSigner(signed, agency, _pki.Now.AddMinutes(-1));

        var report = await harness.Verifier.VerifyCmsAsync(signed.Encode(), s_manifest, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed);
        report.Signatures.Select(s => s.Signer!.CommonName).Should().BeEquivalentTo(["Tran Thi B", "Bo Tai chinh"]);
    }

    [Fact]
    public async Task VerifyCms_ContentByteChanged_TotalFailedHashFailure()
    {
        var harness = new Harness(_pki);
        var cms = TestPki.SignCms(s_manifest, _pki.IssueLeaf(), _pki.Now.AddMinutes(-1));
        var tampered = (byte[])s_manifest.Clone();
        tampered[5] ^= 1;

        var report = await harness.Verifier.VerifyCmsAsync(cms, tampered, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalFailed);
        report.Signatures[0].SubIndication.Should().Be(SubIndication.HashFailure);
    }

    [Fact]
    public async Task VerifyCms_SignatureValueChanged_TotalFailedSigCrypto()
    {
        var harness = new Harness(_pki);
        using var rsa = RSA.Create(2048);
        var cms = TestPki.SignCms(s_manifest, _pki.IssueLeaf(key: rsa), _pki.Now.AddMinutes(-1));
        var decoded = new SignedCms(new ContentInfo(s_manifest), true);
        decoded.Decode(cms);
        var signature = decoded.SignerInfos[0].GetSignature();
        var at = cms.AsSpan().IndexOf(signature);
        cms[at + 10] ^= 0x40;

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.SigCryptoFailure);
    }

    [Fact]
    public async Task VerifyCms_Sha1Digest_IndeterminateCryptoConstraints()
    {
        var harness = new Harness(_pki);
        var cms = TestPki.SignCms(s_manifest, _pki.IssueLeaf(), _pki.Now.AddMinutes(-1), digestOid: "1.3.14.3.2.26");

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.Indeterminate);
        report.Signatures[0].SubIndication.Should().Be(SubIndication.CryptoConstraintsFailure);
        report.Signatures[0].Reason.Should().Contain("SHA1");
    }

    [Fact]
    public async Task VerifyCms_Rsa1024Signer_IndeterminateCryptoConstraints()
    {
        var harness = new Harness(_pki);
        using var rsa = RSA.Create(1024);
        var cms = TestPki.SignCms(s_manifest, _pki.IssueLeaf(key: rsa), _pki.Now.AddMinutes(-1));

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.CryptoConstraintsFailure);
        report.Signatures[0].Reason.Should().Contain("1024");
    }

    [Fact]
    public async Task VerifyCms_DetachedWithoutContent_IndeterminateSignedDataNotFound()
    {
        var harness = new Harness(_pki);
        var cms = TestPki.SignCms(s_manifest, _pki.IssueLeaf(), _pki.Now.AddMinutes(-1));

        var report = await harness.Verifier.VerifyCmsAsync(cms, null, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.SignedDataNotFound);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3003020101")]
    [InlineData("308006092a864886f70d010702")]
    [InlineData("deadbeef")]
    public async Task VerifyCms_Garbage_TotalFailedFormatFailure(string hex)
    {
        var harness = new Harness(_pki);

        var report = await harness.Verifier.VerifyCmsAsync(Convert.FromHexString(hex), s_manifest, null, CancellationToken.None);

        report.Signatures.Should().ContainSingle().Which.SubIndication.Should().Be(SubIndication.FormatFailure);
    }

    [Fact]
    public async Task VerifyCms_EveryTruncation_NeverThrows()
    {
        var harness = new Harness(_pki);
        var cms = TestPki.SignCms(s_manifest, _pki.IssueLeaf(), _pki.Now.AddMinutes(-1));

        var outcomes = new List<SubIndication>();
        for (var length = 0; length < cms.Length; length += 7)
        {
            var report = await harness.Verifier.VerifyCmsAsync(cms.AsMemory(0, length), s_manifest, null, CancellationToken.None);
            outcomes.Add(report.Signatures[0].SubIndication);
        }

        outcomes.Should().OnlyContain(s => s != SubIndication.None);
    }

    [Fact]
    public async Task VerifyCms_CertificateOnlyInRegistry_TotalPassed()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Trust.Set(known: [leaf]);
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1), includeCertificate: false);

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
    }

    [Fact]
    public async Task VerifyCms_CertificateNowhere_IndeterminateNoSigningCertificate()
    {
        var harness = new Harness(_pki);
        var cms = TestPki.SignCms(s_manifest, _pki.IssueLeaf(), _pki.Now.AddMinutes(-1), includeCertificate: false);

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.NoSigningCertificateFound);
    }

    [Fact]
    public async Task VerifyCms_IntermediateOnlyInSignature_TotalPassed()
    {
        var harness = new Harness(_pki);
        harness.Trust.Set(intermediates: []);
        var leaf = _pki.IssueLeaf();
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1), extraCertificates: _pki.Intermediate);

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
    }

    [Fact]
    public async Task VerifyCms_SignedAfterLeafRevoked_TotalFailedRevoked()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Trust.Set(crls: [_pki.Crl(_pki.Root), _pki.Crl(_pki.Intermediate, (leaf, _pki.Now.AddDays(-1)))]);
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1));

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.Revoked);
    }

    [Fact]
    public async Task VerifyCms_ClaimedSigningTimeBeforeRevocation_IndeterminateRevokedNoPoe()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Trust.Set(crls: [_pki.Crl(_pki.Root), _pki.Crl(_pki.Intermediate, (leaf, _pki.Now.AddDays(-1)))]);
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddDays(-3));

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.Indeterminate);
        report.Signatures[0].SubIndication.Should().Be(SubIndication.RevokedNoPoe);
    }

    [Fact]
    public async Task VerifyCms_SignerBoundToClaimedOrgan_PassedAndBound()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Bindings.Bind(leaf, "000.00.00.H49");
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1));

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, "000.00.00.H49", CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed);
        report.Signatures[0].Binding.Should().Be(BindingStatus.Bound);
        report.Signatures[0].BoundOrganId.Should().Be("000.00.00.H49");
    }

    [Fact]
    public async Task VerifyCms_SignerBoundToAnotherOrgan_IndeterminateSigConstraints()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Bindings.Bind(leaf, "000.00.00.H49");
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1));

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, "000.00.00.G22", CancellationToken.None);

        report.Indication.Should().Be(Indication.Indeterminate);
        report.Signatures[0].SubIndication.Should().Be(SubIndication.SigConstraintsFailure);
        report.Signatures[0].Binding.Should().Be(BindingStatus.NotBound);
        report.Signatures[0].Reason.Should().Contain("000.00.00.G22");
    }

    [Fact]
    public async Task VerifyCms_EssCertificateHashOfAnotherCertificate_IndeterminateNoSigningCertificate()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        var other = _pki.IssueLeaf("CN=Someone else");
        var signed = new SignedCms(new ContentInfo(s_manifest), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, leaf) { DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1") };
        signer.SignedAttributes.Add(new Pkcs9SigningTime(_pki.Now.AddMinutes(-1).UtcDateTime));
        signer.SignedAttributes.Add(Mesh.Signature.Infrastructure.HubSigningKey.SigningCertificateV2(other));
        signed.ComputeSignature(signer, silent: true);

        var report = await harness.Verifier.VerifyCmsAsync(signed.Encode(), s_manifest, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.NoSigningCertificateFound);
    }

    [Fact]
    public async Task VerifyCms_SigningTimeInFuture_IndeterminateSigConstraints()
    {
        var harness = new Harness(_pki);
        var cms = TestPki.SignCms(s_manifest, _pki.IssueLeaf(), _pki.Now.AddHours(2));

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.SigConstraintsFailure);
    }
}
