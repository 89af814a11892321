using Grpc.Core;
using Mesh.Contracts.Routing.V1;
using Mesh.ServiceDefaults.Errors;
using Mesh.Testing.Routing;
using StatusCode = Grpc.Core.StatusCode;

namespace Mesh.IntegrationTests;

/// <summary>
/// Mesh:Routing:PdfSignatures = PersonAndAgency (NĐ 30/2020 Art. 5): the main document must carry
/// the competent person's signature and the sending agency's, each valid.
/// </summary>
public sealed class PdfSignerRuleTests() : TwoAgencyHubTests("nd30", new Dictionary<string, string?> { ["Mesh:Routing:PdfSignatures"] = "PersonAndAgency" })
{
    [Fact]
    public async Task SendDocument_SignedByPersonThenAgency_Accepted()
    {
        using var person = Hub.UnboundSigningCertificate(HubFixture.A);
        var pdf = SignedPdf.AddSignature(SignedPdf.Create(person), A.Agency.SigningCertificate, "Van phong");

        var sent = await SendAsync(pdf);

        sent.Receipt.DocumentId.Should().NotBeEmpty();
        (await B.InboxAsync()).Should().Contain(i => i.Document.DocumentId == sent.Receipt.DocumentId);
    }

    [Fact]
    public async Task SendDocument_OnlyTheAgencySigned_RefusedPersonalSignatureMissing()
    {
        var pdf = SignedPdf.Create(A.Agency.SigningCertificate);

        var act = () => SendAsync(pdf);

        await ExpectRefusalAsync(act, "PDF_PERSONAL_SIGNATURE_MISSING");
    }

    [Fact]
    public async Task SendDocument_OnlyAPersonSigned_RefusedAgencySignatureMissing()
    {
        using var person = Hub.UnboundSigningCertificate(HubFixture.A);
        using var colleague = Hub.UnboundSigningCertificate(HubFixture.A);
        var pdf = SignedPdf.AddSignature(SignedPdf.Create(person), colleague);

        var act = () => SendAsync(pdf);

        await ExpectRefusalAsync(act, "PDF_AGENCY_SIGNATURE_MISSING");
    }

    [Fact]
    public async Task SendDocument_AnotherAgencysSealAsTheAgencySignature_RefusedAgencySignatureMissing()
    {
        using var person = Hub.UnboundSigningCertificate(HubFixture.A);
        var pdf = SignedPdf.AddSignature(SignedPdf.Create(person), B.Agency.SigningCertificate);

        var act = () => SendAsync(pdf);

        await ExpectRefusalAsync(act, "PDF_AGENCY_SIGNATURE_MISSING");
    }

    private Task<SendDocumentResponse> SendAsync(byte[] pdf)
    {
        IReadOnlyList<OutgoingAttachment> attachments = [new("van-ban.pdf", pdf, AttachmentRole.MainDocument), new("phu-luc.bin", AgencyClient.RandomBytes(1000))];
        return A.SendAsync(A.Manifest([HubFixture.B], attachments), attachments);
    }

    private async Task ExpectRefusalAsync(Func<Task<SendDocumentResponse>> act, string reason)
    {
        var refusal = (await act.Should().ThrowAsync<RpcException>()).Which;
        refusal.StatusCode.Should().Be(StatusCode.FailedPrecondition, refusal.Status.Detail);
        refusal.MeshReason().Should().Be(reason, refusal.Status.Detail);
        (await B.InboxAsync()).Should().BeEmpty("a refused send leaves nothing for the recipient");
    }
}
