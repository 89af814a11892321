using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mesh.Signature.Domain;
using Mesh.Signature.Domain.Pki;
using Mesh.Signature.Grpc;
using Mesh.Signature.Infrastructure;
using Mesh.Signature.Tests.Support;
using Mesh.Signing;
using Proto = Mesh.Contracts.Signature.V1;

namespace Mesh.Signature.Tests;

public sealed class PortsAndMappingTests
{
    private static readonly byte[] s_manifest = Encoding.UTF8.GetBytes("manifest");
    private readonly TestPki _pki = new(Harness.RealNow());

    [Fact]
    public async Task VerifyDetached_BoundSigner_PassedWithIdentity()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Bindings.Bind(leaf, "000.00.00.G22");
        var port = new InProcessSignatureVerifier(harness.Verifier);

        var check = await port.VerifyDetachedAsync(s_manifest, TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1)), "000.00.00.G22");

        check.Passed.Should().BeTrue(check.Reason);
        check.BoundOrganId.Should().Be("000.00.00.G22");
        check.SignerOrganization.Should().Be("UBND Tinh Quang Ninh");
    }

    [Fact]
    public async Task VerifyDetached_TamperedContent_HashFailureCode()
    {
        var harness = new Harness(_pki);
        var port = new InProcessSignatureVerifier(harness.Verifier);
        var cms = TestPki.SignCms(s_manifest, _pki.IssueLeaf(), _pki.Now.AddMinutes(-1));

        var check = await port.VerifyDetachedAsync(Encoding.UTF8.GetBytes("manifesT"), cms, "000.00.00.G22");

        check.Indication.Should().Be(SignatureIndication.TotalFailed);
        check.SubIndication.Should().Be("HASH_FAILURE");
    }

    [Fact]
    public async Task VerifyPdf_NoSignature_EmptyList()
    {
        var harness = new Harness(_pki);
        var port = new InProcessSignatureVerifier(harness.Verifier);
        using var pdf = new MemoryStream(Encoding.Latin1.GetBytes("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"));

        var checks = await port.VerifyPdfAsync(pdf);

        checks.Should().BeEmpty();
    }

    [Fact]
    public async Task ToProto_RevokedReport_MapsIndicationSubIndicationAndChain()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Trust.Set(crls: [_pki.Crl(_pki.Root), _pki.Crl(_pki.Intermediate, (leaf, _pki.Now.AddDays(-1)))]);
        var report = await harness.Verifier.VerifyCmsAsync(TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1)), s_manifest, null, CancellationToken.None);

        var proto = report.ToProto(_pki.Now);

        proto.Overall.Should().Be(Proto.Indication.TotalFailed);
        proto.Reports.Should().ContainSingle();
        proto.Reports[0].SubIndication.Should().Be(Proto.SubIndication.Revoked);
        proto.Reports[0].Signer.Thumbprint.Should().Be(report.Signatures[0].Signer!.Sha256Thumbprint);
        proto.Reports[0].Chain.Should().HaveCount(3);
    }

    [Fact]
    public async Task VerifyCms_ValidationTimeGiven_PathCheckedThen()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf(notBefore: _pki.Now.AddDays(-5), notAfter: _pki.Now.AddDays(5));
        var cms = TestPki.SignCms(s_manifest, leaf, _pki.Now.AddMinutes(-1));

        var report = await harness.Verifier.VerifyCmsAsync(cms, s_manifest, null, _pki.Now.AddDays(6), CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.Expired);
    }

    [Fact]
    public async Task ValidateCertificate_ClientTlsWithoutClientAuthEku_ChainConstraints()
    {
        var harness = new Harness(_pki);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=adapter.h49.gov.vn", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.4")], false));
        using var issuerKey = _pki.Intermediate.GetECDsaPrivateKey()!;
        using var emailOnly = request.Create(_pki.Intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), _pki.Now.AddDays(-1), _pki.Now.AddDays(30), [9, 9, 9]);

        var asTls = await harness.Verifier.ValidateCertificateAsync(emailOnly.RawData, [], [], null, KeyPurpose.ClientTls, CancellationToken.None);
        var asSigning = await harness.Verifier.ValidateCertificateAsync(emailOnly.RawData, [], [], null, KeyPurpose.DocumentSigning, CancellationToken.None);

        asTls.SubIndication.Should().Be(SubIndication.ChainConstraintsFailure);
        asTls.Reason.Should().Contain("clientAuth");
        asSigning.Passed.Should().BeTrue(asSigning.Reason);
    }
}
