using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain;
using Mesh.Signature.Infrastructure;
using Mesh.Signature.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Signature.Tests;

public sealed class HubSigningKeyTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("mesh-hubkey-").FullName;
    private readonly TestPki _pki = new(Harness.RealNow());

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Sign_GeneratedDevelopmentKey_DetachedCmsVerifiesAgainstItsCertificate()
    {
        var options = new SignatureOptions { GenerateDevelopmentKey = true, DataDirectory = _data };
        using var key = new HubSigningKey(options, TimeProvider.System, NullLogger<HubSigningKey>.Instance);
        var harness = new Harness(_pki);
        harness.Trust.Set(anchors: [key.Certificate]);
        var receipt = "receipt: document accepted at log index 42"u8.ToArray();

        var cms = key.Sign(receipt);
        var report = await harness.Verifier.VerifyCmsAsync(cms, receipt, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
        report.Signatures[0].Format.Should().Be(SignatureFormat.CadesBes);
        key.Certificate.GetECDsaPublicKey()!.KeySize.Should().Be(256);
    }

    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("ecdsa-p384")]
    [InlineData("rsa-2048")]
    public async Task Sign_LoadedKey_CadesBesThatDotNetMeshAndOpenSslVerify(string keyType)
    {
        using AsymmetricAlgorithm keyPair = keyType switch
        {
            "ecdsa-p256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            "ecdsa-p384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
            _ => RSA.Create(2048),
        };
        var leaf = _pki.IssueLeaf("CN=Mesh hub " + keyType + ", O=Van phong Chinh phu", key: keyPair);
        var path = Path.Combine(_data, "hub.pfx");
        File.WriteAllBytes(path, leaf.Export(X509ContentType.Pkcs12, "secret"));
        var signingTime = new DateTimeOffset(2026, 12, 1, 3, 4, 5, TimeSpan.Zero);
        using var key = new HubSigningKey(new SignatureOptions { SigningKeyPath = path, SigningKeyPassword = "secret" }, new FixedTime(signingTime), NullLogger<HubSigningKey>.Instance);
        var receipt = "receipt: document accepted at log index 42"u8.ToArray();

        var cms = key.Sign(receipt);

        // .NET's own CMS reader: the signature, the signed attributes and the certificate.
        var decoded = new SignedCms(new ContentInfo(receipt), detached: true);
        decoded.Decode(cms);
        decoded.CheckSignature(verifySignatureOnly: true);
        var signer = decoded.SignerInfos[0];
        signer.Certificate!.Thumbprint.Should().Be(leaf.Thumbprint);
        signer.DigestAlgorithm.Value.Should().Be("2.16.840.1.101.3.4.2.1");
        signer.SignedAttributes.Cast<CryptographicAttributeObject>().Select(a => a.Oid.Value).Should().BeEquivalentTo(
            "1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4", "1.2.840.113549.1.9.5", "1.2.840.113549.1.9.16.2.47");
        signer.SignedAttributes.Cast<CryptographicAttributeObject>().Single(a => a.Oid.Value == "1.2.840.113549.1.9.5")
            .Values[0].Should().BeOfType<Pkcs9SigningTime>().Which.SigningTime.Should().Be(signingTime.UtcDateTime);
        decoded.Invoking(d => d.CheckSignature(verifySignatureOnly: true)).Should().NotThrow();
        var tampered = new SignedCms(new ContentInfo("receipt: document accepted at log index 43"u8.ToArray()), detached: true);
        tampered.Decode(cms);
        tampered.Invoking(d => d.CheckSignature(verifySignatureOnly: true)).Should().Throw<CryptographicException>();

        // Mesh's verifier: a CAdES-BES signature that passes path validation to the issuing CA.
        var harness = new Harness(_pki);
        var report = await harness.Verifier.VerifyCmsAsync(cms, receipt, null, CancellationToken.None);
        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
        report.Signatures[0].Format.Should().Be(SignatureFormat.CadesBes);

        // An independent implementation: openssl cms -verify with the signer certificate taken from the CMS.
        File.WriteAllBytes(Path.Combine(_data, "receipt.bin"), receipt);
        File.WriteAllBytes(Path.Combine(_data, "receipt.p7s"), cms);
        OpenSsl.Run(_data, "cms", "-verify", "-binary", "-inform", "DER", "-in", "receipt.p7s", "-content", "receipt.bin", "-noverify", "-out", "verified.bin");
        File.ReadAllBytes(Path.Combine(_data, "verified.bin")).Should().Equal(receipt);
    }

    [Fact]
    public void Constructor_SecondRun_ReusesKeptKey()
    {
        var options = new SignatureOptions { GenerateDevelopmentKey = true, DataDirectory = _data };
        using var first = new HubSigningKey(options, TimeProvider.System, NullLogger<HubSigningKey>.Instance);

        using var second = new HubSigningKey(options, TimeProvider.System, NullLogger<HubSigningKey>.Instance);

        second.Certificate.Thumbprint.Should().Be(first.Certificate.Thumbprint);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(Path.Combine(_data, HubSigningKey.DevelopmentFileName)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public void Constructor_PfxPath_LoadsKey()
    {
        using var rsa = RSA.Create(2048);
        var leaf = _pki.IssueLeaf("CN=Mesh hub, O=Van phong Chinh phu", key: rsa);
        var path = Path.Combine(_data, "hub.pfx");
        File.WriteAllBytes(path, leaf.Export(X509ContentType.Pkcs12, "secret"));
        var options = new SignatureOptions { SigningKeyPath = path, SigningKeyPassword = "secret" };

        using var key = new HubSigningKey(options, TimeProvider.System, NullLogger<HubSigningKey>.Instance);

        key.Certificate.Subject.Should().Be(leaf.Subject);
        key.Sign([1, 2, 3]).Should().NotBeEmpty();
    }

    [Fact]
    public void Constructor_PemPath_LoadsKey()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var leaf = _pki.IssueLeaf("CN=Mesh hub PEM", key: ecdsa);
        var path = Path.Combine(_data, "hub.pem");
        File.WriteAllText(path, leaf.ExportCertificatePem() + "\n" + ecdsa.ExportPkcs8PrivateKeyPem());
        var options = new SignatureOptions { SigningKeyPath = path };

        using var key = new HubSigningKey(options, TimeProvider.System, NullLogger<HubSigningKey>.Instance);

        key.Certificate.Subject.Should().Be("CN=Mesh hub PEM");
    }

    [Fact]
    public void Constructor_NoPathOutsideDevelopment_Refused()
    {
        var options = new SignatureOptions { DataDirectory = _data };

        var act = () => new HubSigningKey(options, TimeProvider.System, NullLogger<HubSigningKey>.Instance);

        act.Should().Throw<Mesh.Errors.MeshException>().Which.Reason.Should().Be("SIGNING_KEY_UNAVAILABLE");
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
