using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Contracts.Routing.V1;

namespace Mesh.Client.Tests;

/// <summary>Connecting with the agency's client certificate as adapters keep it: password-protected PKCS#12, PEM.</summary>
[Collection(HubCollection.Name)]
public sealed class CertificateTests(HubFixture hub) : IDisposable
{
    private const string Password = "mật-khẩu 42";
    private readonly string directory = Directory.CreateTempSubdirectory("mesh-client-certs-").FullName;

    [Fact]
    public async Task LoadPkcs12_PasswordProtectedPfx_ConnectsAsTheAgency()
    {
        var agency = await hub.AgencyAsync(HubFixture.Province);
        var path = Path.Combine(directory, "client.pfx");
        await File.WriteAllBytesAsync(path, agency.ClientCertificate.Export(X509ContentType.Pkcs12, Password));

        using var certificate = MeshCertificates.LoadPkcs12(path, Password);
        using var client = hub.Connect(agency, certificate);
        var act = () => client.ListInboxAsync(new ListInboxRequest { PageSize = 1 });

        await act.Should().NotThrowAsync("the hub authenticates the loaded certificate as the agency");

        certificate.HasPrivateKey.Should().BeTrue();
        certificate.Thumbprint.Should().Be(agency.ClientCertificate.Thumbprint, "the file held the agency's own certificate");
    }

    [Fact]
    public async Task LoadPkcs12_WrongPassword_Throws()
    {
        var agency = await hub.AgencyAsync(HubFixture.Province);
        var path = Path.Combine(directory, "client.p12");
        await File.WriteAllBytesAsync(path, agency.ClientCertificate.Export(X509ContentType.Pkcs12, Password));

        var act = () => MeshCertificates.Load(path, "not the password");

        act.Should().Throw<CryptographicException>();
    }

    [Fact]
    public async Task LoadPem_CertificateAndEncryptedKeyFiles_ConnectsAsTheAgency()
    {
        var agency = await hub.AgencyAsync(HubFixture.Province);
        var (certificatePath, keyPath) = await WritePemWithEncryptedKeyAsync(agency);

        using var certificate = MeshCertificates.LoadPem(certificatePath, keyPath, Password);
        using var client = hub.Connect(agency, certificate);
        var act = () => client.ListInboxAsync(new ListInboxRequest { PageSize = 1 });

        await act.Should().NotThrowAsync("the hub authenticates the loaded certificate as the agency");

        File.ReadAllText(keyPath).Should().Contain("ENCRYPTED PRIVATE KEY");
        certificate.Thumbprint.Should().Be(agency.ClientCertificate.Thumbprint, "the file held the agency's own certificate");
    }

    [Fact]
    public async Task Load_PemWithCertificateAndKeyInOneFile_ConnectsAsTheAgency()
    {
        var agency = await hub.AgencyAsync(HubFixture.Province);
        var path = Path.Combine(directory, "client.pem");
        await File.WriteAllTextAsync(path, agency.ClientCertificate.ExportCertificatePem() + "\n" + PrivateKey(agency.ClientCertificate).ExportPkcs8PrivateKeyPem());

        using var certificate = MeshCertificates.Load(path);
        using var client = hub.Connect(agency, certificate);
        var act = () => client.ListInboxAsync(new ListInboxRequest { PageSize = 1 });

        await act.Should().NotThrowAsync("the hub authenticates the loaded certificate as the agency");

        certificate.Thumbprint.Should().Be(agency.ClientCertificate.Thumbprint, "the file held the agency's own certificate");
    }

    [Fact]
    public async Task LoadPem_EncryptedKeyWithWrongPassword_Throws()
    {
        var agency = await hub.AgencyAsync(HubFixture.Province);
        var (certificatePath, keyPath) = await WritePemWithEncryptedKeyAsync(agency);

        var act = () => MeshCertificates.LoadPem(certificatePath, keyPath, "not the password");

        act.Should().Throw<CryptographicException>();
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    // As openssl writes them: the certificate, and the key as encrypted PKCS#8 in its own file.
    private async Task<(string Certificate, string Key)> WritePemWithEncryptedKeyAsync(Agency agency)
    {
        var certificatePath = Path.Combine(directory, "client.crt");
        var keyPath = Path.Combine(directory, "client.key");
        await File.WriteAllTextAsync(certificatePath, agency.ClientCertificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, PrivateKey(agency.ClientCertificate).ExportEncryptedPkcs8PrivateKeyPem(Password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        return (certificatePath, keyPath);
    }

    private static AsymmetricAlgorithm PrivateKey(X509Certificate2 certificate) =>
        (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("No private key.");
}
