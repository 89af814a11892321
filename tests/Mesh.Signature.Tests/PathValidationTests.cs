using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain;
using Mesh.Signature.Tests.Support;

namespace Mesh.Signature.Tests;

/// <summary>RFC 5280 path validation through ValidateCertificate, one case per rule, on a PKI generated per test.</summary>
public sealed class PathValidationTests
{
    private readonly TestPki _pki = new(Harness.RealNow());

    private Task<SignatureReport> ValidateAsync(Harness harness, X509Certificate2 leaf, DateTimeOffset? at = null, params X509Certificate2[] intermediates) =>
        harness.Verifier.ValidateCertificateAsync(leaf.RawData, [.. intermediates.Select(i => (ReadOnlyMemory<byte>)i.RawData)], [], at, CancellationToken.None).AsTask();

    [Fact]
    public async Task ValidateCertificate_ValidChain_TotalPassedWithFullChain()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.TotalPassed, report.Reason);
        report.Chain.Select(c => c.Subject).Should().Equal(leaf.Subject, _pki.Intermediate.Subject, _pki.Root.Subject);
        report.Signer!.Organization.Should().Be("UBND Tinh Quang Ninh");
        report.Signer.CommonName.Should().Be("Nguyen Van A");
    }

    [Fact]
    public async Task ValidateCertificate_ExpiredLeaf_TotalFailedExpired()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf(notBefore: _pki.Now.AddDays(-100), notAfter: _pki.Now.AddDays(-10));

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.TotalFailed);
        report.SubIndication.Should().Be(SubIndication.Expired, report.Reason);
    }

    [Fact]
    public async Task ValidateCertificate_NotYetValidLeaf_TotalFailedNotYetValid()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf(notBefore: _pki.Now.AddDays(10), notAfter: _pki.Now.AddDays(100));

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.TotalFailed);
        report.SubIndication.Should().Be(SubIndication.NotYetValid, report.Reason);
    }

    [Fact]
    public async Task ValidateCertificate_LeafWithoutSigningKeyUsage_IndeterminateChainConstraints()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf(usage: X509KeyUsageFlags.KeyEncipherment);

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.Indeterminate);
        report.SubIndication.Should().Be(SubIndication.ChainConstraintsFailure);
        report.Reason.Should().Contain("digitalSignature");
    }

    [Fact]
    public async Task ValidateCertificate_IntermediateMissing_IndeterminateNoChain()
    {
        var harness = new Harness(_pki);
        harness.Trust.Set(intermediates: []);
        var leaf = _pki.IssueLeaf();

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.Indeterminate);
        report.SubIndication.Should().Be(SubIndication.NoCertificateChainFound);
        report.Reason.Should().Contain("Mesh Test Issuing CA");
    }

    [Fact]
    public async Task ValidateCertificate_IntermediateSuppliedByCaller_Passes()
    {
        var harness = new Harness(_pki);
        harness.Trust.Set(intermediates: []);
        var leaf = _pki.IssueLeaf();

        var report = await ValidateAsync(harness, leaf, null, _pki.Intermediate);

        report.Indication.Should().Be(Indication.TotalPassed, report.Reason);
    }

    [Fact]
    public async Task ValidateCertificate_UnknownRoot_IndeterminateNoChain()
    {
        var harness = new Harness(_pki);
        var otherRoot = TestPki.CreateCa("CN=Rogue Root, O=Elsewhere", null, null, _pki.Now.AddYears(-1), _pki.Now.AddYears(5));
        var otherIssuer = TestPki.CreateCa("CN=Rogue Issuing CA, O=Elsewhere", otherRoot, null, _pki.Now.AddYears(-1), _pki.Now.AddYears(4));
        var leaf = _pki.IssueLeaf(issuer: otherIssuer);

        var report = await ValidateAsync(harness, leaf, null, otherIssuer, otherRoot);

        report.Indication.Should().Be(Indication.Indeterminate);
        report.SubIndication.Should().Be(SubIndication.NoCertificateChainFound);
        report.Reason.Should().Contain("Rogue Root").And.Contain("not a trust anchor");
    }

    [Fact]
    public async Task ValidateCertificate_RevokedLeaf_TotalFailedRevoked()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Trust.Set(crls: [_pki.Crl(_pki.Root), _pki.Crl(_pki.Intermediate, (leaf, _pki.Now.AddDays(-2)))]);

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.TotalFailed);
        report.SubIndication.Should().Be(SubIndication.Revoked);
        report.Reason.Should().Contain("signer certificate");
    }

    [Fact]
    public async Task ValidateCertificate_RevokedIntermediate_TotalFailedRevoked()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Trust.Set(crls: [_pki.Crl(_pki.Root, (_pki.Intermediate, _pki.Now.AddDays(-2))), _pki.Crl(_pki.Intermediate)]);

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.TotalFailed);
        report.SubIndication.Should().Be(SubIndication.Revoked);
        report.Reason.Should().Contain("CA certificate").And.Contain("Issuing CA");
    }

    [Fact]
    public async Task ValidateCertificate_PathLengthExceeded_IndeterminateChainConstraints()
    {
        var harness = new Harness(_pki);
        var constrained = TestPki.CreateCa("CN=Constrained CA, O=Mesh Test", _pki.Root, 0, _pki.Now.AddYears(-1), _pki.Now.AddYears(3));
        var subordinate = TestPki.CreateCa("CN=Too Deep CA, O=Mesh Test", constrained, null, _pki.Now.AddYears(-1), _pki.Now.AddYears(2));
        var leaf = _pki.IssueLeaf(issuer: subordinate);
        harness.Trust.Set(
            intermediates: [constrained, subordinate],
            crls: [_pki.Crl(_pki.Root), _pki.Crl(constrained), _pki.Crl(subordinate)]);

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.Indeterminate);
        report.SubIndication.Should().Be(SubIndication.ChainConstraintsFailure);
        report.Reason.Should().Contain("path length");
    }

    [Fact]
    public async Task ValidateCertificate_IssuerNameDiffersFromIssuerSubject_IndeterminateChainConstraints()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf(issuerNameOverride: new X500DistinguishedName("CN=Not The Issuing CA, O=Mesh Test, C=VN"));

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.Indeterminate);
        report.SubIndication.Should().Be(SubIndication.ChainConstraintsFailure);
        report.Reason.Should().Contain("name chaining");
    }

    [Fact]
    public async Task ValidateCertificate_StaleCrl_IndeterminateTryLater()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Trust.Set(crls: [_pki.Crl(_pki.Root), TestPki.Crl(_pki.Intermediate, _pki.Now.AddDays(-8), _pki.Now.AddDays(-1))]);

        var report = await ValidateAsync(harness, leaf);

        report.Indication.Should().Be(Indication.Indeterminate);
        report.SubIndication.Should().Be(SubIndication.TryLater);
        report.Reason.Should().Contain("stale");
    }

    [Fact]
    public async Task ValidateCertificate_NoCrlForIssuer_IndeterminateTryLater()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Trust.Set(crls: [_pki.Crl(_pki.Root)]);

        var report = await ValidateAsync(harness, leaf);

        report.SubIndication.Should().Be(SubIndication.TryLater);
        report.Reason.Should().Contain("no usable CRL");
    }

    [Fact]
    public async Task ValidateCertificate_CrlSignedByAnotherKey_Ignored()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        var impostor = TestPki.CreateCa(_pki.Intermediate.Subject, _pki.Root, null, _pki.Now.AddYears(-1), _pki.Now.AddYears(1));
        harness.Trust.Set(crls: [_pki.Crl(_pki.Root), _pki.Crl(impostor, (leaf, _pki.Now.AddDays(-1)))]);

        var report = await ValidateAsync(harness, leaf);

        report.SubIndication.Should().Be(SubIndication.TryLater, "a CRL not signed by the issuer's key is no revocation evidence");
    }

    [Fact]
    public async Task ValidateCertificate_ExpiredLeafAtTimeWhenValid_TotalPassed()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf(notBefore: _pki.Now.AddDays(-100), notAfter: _pki.Now.AddDays(-10));

        var report = await ValidateAsync(harness, leaf, _pki.Now.AddDays(-50));

        report.Indication.Should().Be(Indication.TotalPassed, report.Reason);
        report.SigningTime.Should().Be(_pki.Now.AddDays(-50));
        report.SigningTimeSource.Should().Be(SigningTimeSource.Requested);
    }

    [Fact]
    public async Task ValidateCertificate_RevokedAfterRequestedTime_PassesWithWarning()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        harness.Trust.Set(crls: [_pki.Crl(_pki.Root), _pki.Crl(_pki.Intermediate, (leaf, _pki.Now.AddDays(-2)))]);

        var report = await ValidateAsync(harness, leaf, _pki.Now.AddDays(-5));

        report.Indication.Should().Be(Indication.TotalPassed, report.Reason);
        report.Warnings.Should().ContainSingle(w => w.Contains("revoked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ValidateCertificate_Sha1SignedLeaf_IndeterminateCryptoConstraints()
    {
        var harness = new Harness(_pki);
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Legacy SHA-1 signer", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        using var issuerKey = _pki.Intermediate.GetECDsaPrivateKey()!;
        using var leaf = request.Create(_pki.Intermediate.SubjectName, new Sha1EcdsaGenerator(issuerKey), _pki.Now.AddDays(-1), _pki.Now.AddDays(30), [1, 2, 3, 4]);

        var report = await ValidateAsync(harness, leaf);

        report.SubIndication.Should().Be(SubIndication.CryptoConstraintsFailure);
        report.Reason.Should().Contain("SHA1");
    }

    [Fact]
    public async Task ValidateCertificate_Garbage_FormatFailure()
    {
        var harness = new Harness(_pki);

        var report = await harness.Verifier.ValidateCertificateAsync(new byte[] { 0x30, 0x03, 0x02, 0x01 }, [], [], null, CancellationToken.None);

        report.SubIndication.Should().Be(SubIndication.FormatFailure);
    }

    // CertificateRequest refuses SHA-1 for ECDSA; a legacy CA would not, so the test signs it by hand.
    private sealed class Sha1EcdsaGenerator(System.Security.Cryptography.ECDsa key) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(System.Security.Cryptography.HashAlgorithmName hashAlgorithm) => [0x30, 0x09, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01];

        public override byte[] SignData(byte[] data, System.Security.Cryptography.HashAlgorithmName hashAlgorithm) =>
            key.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA1, System.Security.Cryptography.DSASignatureFormat.Rfc3279DerSequence);

        protected override PublicKey BuildPublicKey() => X509SignatureGenerator.CreateForECDsa(key).PublicKey;
    }
}
