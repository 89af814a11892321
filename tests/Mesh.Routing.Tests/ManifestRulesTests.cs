using Mesh.Contracts.Routing.V1;
using Mesh.Errors;
using Mesh.Routing.Domain;
using Mesh.Testing.Routing;

namespace Mesh.Routing.Tests;

public sealed class ManifestRulesTests
{
    private const string From = "000.00.00.G12";
    private static readonly ManifestLimits Limits = new(10, 1024 * 1024, 4 * 1024 * 1024, 512 * 1024, true);

    private static DocumentManifest Valid(params string[] to) =>
        ManifestFactory.Create(From, to.Length == 0 ? ["000.00.00.H29"] : to, [new OutgoingAttachment("a.pdf", [1, 2, 3], AttachmentRole.MainDocument)], new DateOnly(2026, 11, 30), "7816", "BTC-VP");

    private static MeshException Refusal(DocumentManifest manifest) =>
        FluentActions.Invoking(() => ManifestRules.Check(manifest, Limits)).Should().Throw<MeshException>().Which;

    [Fact]
    public void Check_ValidManifest_Passes()
    {
        var manifest = Valid();

        var act = () => ManifestRules.Check(manifest, Limits);

        act.Should().NotThrow();
    }

    [Fact]
    public void BusinessDocumentId_Parts_QcvnFormat()
    {
        var id = ManifestRules.BusinessDocumentId("000.00.00.G22", new DateOnly(2015, 9, 30), "7816", "VPCP-TTĐT");

        id.Should().Be("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT");
    }

    [Fact]
    public void Check_DocumentIdWithOtherDate_Inconsistent()
    {
        var manifest = Valid();
        manifest.Header.DocumentId = $"{From},2026/11/29,7816/BTC-VP";

        var refusal = Refusal(manifest);

        refusal.Reason.Should().Be(RoutingReasons.DocumentIdInconsistent);
    }

    [Fact]
    public void Check_DocumentIdWithOtherIssuer_Inconsistent()
    {
        var manifest = Valid();
        manifest.Header.DocumentId = "000.00.00.G22,2026/11/30,7816/BTC-VP";

        var refusal = Refusal(manifest);

        refusal.Reason.Should().Be(RoutingReasons.DocumentIdInconsistent);
    }

    [Fact]
    public void Check_MissingRequiredFields_HeaderInvalidWithEveryViolation()
    {
        var manifest = Valid();
        manifest.Header.Subject = "";
        manifest.Header.SignerInfo.FullName = "";
        manifest.Header.Code.CodeNumber = "12a";

        var refusal = Refusal(manifest);

        refusal.Reason.Should().Be(RoutingReasons.HeaderInvalid);
        refusal.Violations.Select(v => v.Field).Should().Contain(["header.subject", "header.signer_info.full_name", "header.code.code_number"]);
    }

    [Fact]
    public void Check_InvalidPriority_HeaderInvalid()
    {
        var manifest = Valid();
        manifest.Header.OtherInfo.Priority = (Priority)9;

        var refusal = Refusal(manifest);

        refusal.Violations.Should().Contain(v => v.Field == "header.other_info.priority");
    }

    [Theory]
    [InlineData(Classification.Secret)]
    [InlineData(Classification.TopSecret)]
    [InlineData(Classification.AbsoluteSecret)]
    public void Check_StateSecret_ClassifiedDocument(Classification classification)
    {
        var manifest = Valid();
        manifest.Header.OtherInfo.Classification = classification;

        var refusal = Refusal(manifest);

        refusal.Reason.Should().Be(RoutingReasons.ClassifiedDocument);
        refusal.Kind.Should().Be(ErrorKind.FailedPrecondition);
    }

    [Fact]
    public void Check_NoRecipients_HeaderInvalid()
    {
        var manifest = Valid();
        manifest.Header.To.Clear();

        var refusal = Refusal(manifest);

        refusal.Violations.Should().Contain(v => v.Field == "header.to");
    }

    [Fact]
    public void Check_DuplicateRecipients_RecipientsDuplicate()
    {
        var manifest = Valid("000.00.00.H29", "000.00.00.H29");

        var refusal = Refusal(manifest);

        refusal.Reason.Should().Be(RoutingReasons.RecipientsDuplicate);
    }

    [Fact]
    public void Check_SenderAmongRecipients_HeaderInvalid()
    {
        var manifest = Valid(From);

        var refusal = Refusal(manifest);

        refusal.Reason.Should().Be(RoutingReasons.HeaderInvalid);
        refusal.Violations.Should().Contain(v => v.Field == "header.to[0].organ_id");
    }

    [Fact]
    public void Check_RevokeWithoutTarget_HeaderInvalid()
    {
        var manifest = Valid();
        manifest.Header.Business = new Business { Type = BusinessType.Revoke };

        var refusal = Refusal(manifest);

        refusal.Violations.Should().Contain(v => v.Field == "header.business.target_document_id");
    }

    [Fact]
    public void Check_TooManyAttachments_TooManyAttachments()
    {
        var manifest = Valid();
        for (var i = 0; i < 10; i++)
        {
            manifest.Attachments.Add(new OutgoingAttachment($"x{i}", [1]).Descriptor());
        }

        var refusal = Refusal(manifest);

        refusal.Reason.Should().Be(RoutingReasons.TooManyAttachments);
    }

    [Fact]
    public void Check_AttachmentAboveLimit_AttachmentTooLarge()
    {
        var manifest = Valid();
        manifest.Attachments.Add(new AttachmentDescriptor { Name = "big", Size = (1024 * 1024) + 1, Sha256 = Google.Protobuf.ByteString.CopyFrom(new byte[32]) });

        var refusal = Refusal(manifest);

        refusal.Reason.Should().Be(RoutingReasons.AttachmentTooLarge);
    }

    [Fact]
    public void Check_NoMainDocument_HeaderInvalid()
    {
        var manifest = Valid();
        manifest.Attachments[0].Role = AttachmentRole.Attachment;

        var refusal = Refusal(manifest);

        refusal.Violations.Should().Contain(v => v.Field == "attachments");
    }

    [Fact]
    public void SenderOf_CallerIsNotFrom_SenderMismatch()
    {
        var manifest = Valid();

        var act = () => ManifestRules.SenderOf(manifest, "000.00.00.G14");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.SenderMismatch);
    }
}
