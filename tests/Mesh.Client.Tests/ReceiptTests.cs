using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Contracts.Signature.V1;

namespace Mesh.Client.Tests;

[Collection(HubCollection.Name)]
public sealed class ReceiptTests(HubFixture hub)
{
    [Fact]
    public async Task VerifyReceipt_AsSignedByTheHub_ReturnsTheReceipt()
    {
        var (response, hubCertificate) = await SendAsync();

        var receipt = MeshClient.VerifyReceipt(response.ReceiptBytes.Span, response.ReceiptSignature.Span, hubCertificate);

        receipt.Should().Be(response.Receipt);
        receipt.DocumentId.Should().NotBeEmpty();
    }

    [Fact]
    public async Task VerifyReceipt_OneReceiptByteChanged_Throws()
    {
        var (response, hubCertificate) = await SendAsync();
        var bytes = response.ReceiptBytes.ToByteArray();
        bytes[bytes.Length / 2] ^= 0x01;

        var act = () => MeshClient.VerifyReceipt(bytes, response.ReceiptSignature.Span, hubCertificate);

        act.Should().Throw<CryptographicException>();
    }

    [Fact]
    public async Task VerifyReceipt_OneSignatureByteChanged_Throws()
    {
        var (response, hubCertificate) = await SendAsync();
        var signature = response.ReceiptSignature.ToByteArray();
        signature[^10] ^= 0x01;

        var act = () => MeshClient.VerifyReceipt(response.ReceiptBytes.Span, signature, hubCertificate);

        act.Should().Throw<CryptographicException>();
    }

    [Fact]
    public async Task VerifyReceipt_ValidSignatureByAnotherCertificate_Throws()
    {
        var (response, hubCertificate) = await SendAsync();
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        var forged = CmsSigning.SignDetached(response.ReceiptBytes.Span, sender.SigningCertificate);

        var act = () => MeshClient.VerifyReceipt(response.ReceiptBytes.Span, forged, hubCertificate);

        act.Should().Throw<CryptographicException>().WithMessage("*not signed by the hub*");
    }

    private async Task<(Contracts.Routing.V1.SendDocumentResponse Response, X509Certificate2 HubCertificate)> SendAsync()
    {
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        await hub.AgencyAsync(HubFixture.Province);
        using var client = hub.Connect(sender);
        var response = await client.SendAsync(HubFixture.Header(sender.OrganId, HubFixture.Province), HubFixture.Package(sender));
        var certificate = await client.Signature.GetSigningCertificateAsync(new GetSigningCertificateRequest());
        return (response, X509CertificateLoader.LoadCertificate(certificate.CertificateDer.Span));
    }
}
