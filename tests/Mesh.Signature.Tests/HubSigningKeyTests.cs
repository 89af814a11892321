using System.Security.Cryptography;
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
}
