using FluentAssertions;
using Grpc.Core;
using Mesh.Identity;
using Mesh.ServiceDefaults.Errors;
using Xunit;
using Common = Mesh.Contracts.Common.V1;
using Proto = Mesh.Contracts.Registry.V1;

namespace Mesh.Registry.Tests;

public sealed class RegistryServiceTests : IAsyncLifetime
{
    private RegistryHost host = null!;

    public async Task InitializeAsync() => host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task CreateAgency_ValidAgency_CanBeReadBack()
    {
        var client = host.AdminClient();

        var created = await client.CreateAgencyAsync(Create("r1", "000.00.00.G12", null, "Bộ Tài chính"));
        var read = await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = "000.00.00.G12" });

        read.Agency.Should().BeEquivalentTo(created.Agency);
        read.Agency.State.Should().Be(Common.LifecycleState.Active);
        read.Agency.Level.Should().Be(1);
        read.Agency.Etag.Should().NotBeEmpty();
        read.Agency.Name.Should().Be("agencies/000.00.00.G12");
    }

    [Fact]
    public async Task CreateAgency_Child_HasParentAndLevel()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("p", "000.00.00.G12", null, "Bộ Tài chính"));

        var child = await client.CreateAgencyAsync(Create("c", "000.00.18.G12", "000.00.00.G12", "Tổng cục Thuế"));

        child.Agency.ParentOrganId.Should().Be("000.00.00.G12");
        child.Agency.Level.Should().Be(2);
    }

    [Fact]
    public async Task CreateAgency_SameRequestIdTwice_ReturnsSameAgencyAndCreatesOne()
    {
        var client = host.AdminClient();
        var request = Create("same-id", "000.00.00.H41", null, "UBND Nghệ An");

        var first = await client.CreateAgencyAsync(request);
        var second = await client.CreateAgencyAsync(request);
        var list = await client.ListAgenciesAsync(new Proto.ListAgenciesRequest { NameContains = "Nghệ An" });

        second.Agency.Should().BeEquivalentTo(first.Agency);
        list.Agencies.Should().ContainSingle();
    }

    [Fact]
    public async Task CreateAgency_SameRequestIdDifferentContent_FailedPrecondition()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("reused", "000.00.00.H41", null, "UBND Nghệ An"));

        var act = async () => await client.CreateAgencyAsync(Create("reused", "000.00.00.H14", null, "UBND Cao Bằng"));

        await ExpectAsync(act, StatusCode.FailedPrecondition, "REQUEST_ID_REUSED");
    }

    [Fact]
    public async Task CreateAgency_Duplicate_AlreadyExists()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("a", "000.00.00.H41", null, "UBND Nghệ An"));

        var act = async () => await client.CreateAgencyAsync(Create("b", "000.00.00.H41", null, "Other"));

        await ExpectAsync(act, StatusCode.AlreadyExists, "AGENCY_ALREADY_EXISTS");
    }

    [Theory]
    [InlineData("000.00.0.G22", "Văn phòng", "agency.organ_id")]
    [InlineData("", "Văn phòng", "agency.organ_id")]
    [InlineData("000.00.00.H41", "", "agency.display_name")]
    [InlineData("000.00.00.H41", "   ", "agency.display_name")]
    public async Task CreateAgency_BadFields_InvalidArgumentWithFieldViolation(string organId, string name, string field)
    {
        var client = host.AdminClient();

        var act = async () => await client.CreateAgencyAsync(Create("bad", organId, null, name));

        var ex = await ExpectAsync(act, StatusCode.InvalidArgument, "AGENCY_INVALID");
        ex.FieldViolations().Select(v => v.Field).Should().Contain(field);
    }

    [Fact]
    public async Task CreateAgency_OversizeName_InvalidArgument()
    {
        var client = host.AdminClient();

        var act = async () => await client.CreateAgencyAsync(Create("big", "000.00.00.H41", null, new string('x', 257)));

        var ex = await ExpectAsync(act, StatusCode.InvalidArgument, "AGENCY_INVALID");
        ex.FieldViolations().Should().ContainSingle(v => v.Field == "agency.display_name" && v.Description.Contains("256"));
    }

    [Fact]
    public async Task CreateAgency_UnknownParent_FailedPreconditionAndNothingWritten()
    {
        var client = host.AdminClient();

        var act = async () => await client.CreateAgencyAsync(Create("orphan", "000.00.18.G12", "000.00.00.G12", "Tổng cục Thuế"));

        await ExpectAsync(act, StatusCode.FailedPrecondition, "PARENT_NOT_FOUND");
        await ExpectAsync(async () => await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = "000.00.18.G12" }), StatusCode.NotFound, "AGENCY_NOT_FOUND");
    }

    [Fact]
    public async Task CreateAgency_NonAdmin_PermissionDeniedAndAudited()
    {
        var agencyCert = await host.ClientCertificateAsync("000.00.00.H49", CallerRole.Agency);
        var client = host.Client(agencyCert);

        var act = async () => await client.CreateAgencyAsync(Create("x", "000.00.00.H41", null, "UBND Nghệ An"));

        await ExpectAsync(act, StatusCode.PermissionDenied, "ADMIN_ROLE_REQUIRED");
        host.Audit.Records.Should().Contain(r => r.Type == "AUTHORIZATION_FAILED" && r.ActorOrganId == "000.00.00.H49" && r.Outcome == "ADMIN_ROLE_REQUIRED");
    }

    [Fact]
    public async Task GetAgency_NoClientCertificate_Unauthenticated()
    {
        var client = host.Client(null);

        var act = async () => await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = RegistryHost.OperatorId });

        await ExpectAsync(act, StatusCode.Unauthenticated, "CLIENT_CERTIFICATE_REQUIRED");
        host.Audit.Records.Should().Contain(r => r.Type == "AUTHENTICATION_FAILED" && r.Outcome == "CLIENT_CERTIFICATE_REQUIRED");
    }

    [Fact]
    public async Task GetAgency_UnboundCertificate_Unauthenticated()
    {
        using var stranger = Mesh.Pki.DevelopmentPki.IssueClientCertificate(host.Host.CertificateAuthority, "000.00.00.H99", "Stranger", TimeSpan.FromDays(1));
        var client = host.Client(stranger);

        var act = async () => await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = RegistryHost.OperatorId });

        await ExpectAsync(act, StatusCode.Unauthenticated, "CERTIFICATE_NOT_BOUND");
    }

    [Fact]
    public async Task UpdateAgency_StaleETag_Aborted()
    {
        var client = host.AdminClient();
        var created = (await client.CreateAgencyAsync(Create("c", "000.00.00.H41", null, "UBND Nghệ An"))).Agency;
        var first = created.Clone();
        first.DisplayName = "Ủy ban nhân dân tỉnh Nghệ An";
        await client.UpdateAgencyAsync(new Proto.UpdateAgencyRequest { RequestId = "u1", Agency = first });
        var stale = created.Clone();
        stale.DisplayName = "Stale writer";

        var act = async () => await client.UpdateAgencyAsync(new Proto.UpdateAgencyRequest { RequestId = "u2", Agency = stale });

        await ExpectAsync(act, StatusCode.Aborted, "ETAG_MISMATCH");
        (await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = "000.00.00.H41" })).Agency.DisplayName.Should().Be("Ủy ban nhân dân tỉnh Nghệ An");
    }

    [Fact]
    public async Task UpdateAgency_ParentBecomesOwnDescendant_FailedPreconditionHierarchyCycle()
    {
        var client = host.AdminClient();
        var top = (await client.CreateAgencyAsync(Create("1", "000.00.00.H47", null, "UBND Quảng Nam"))).Agency;
        await client.CreateAgencyAsync(Create("2", "000.00.10.H47", "000.00.00.H47", "UBND Đại Lộc"));
        await client.CreateAgencyAsync(Create("3", "001.00.10.H47", "000.00.10.H47", "VP Đại Lộc"));
        var moved = top.Clone();
        moved.ParentOrganId = "001.00.10.H47";

        var act = async () => await client.UpdateAgencyAsync(new Proto.UpdateAgencyRequest { RequestId = "cycle", Agency = moved });

        await ExpectAsync(act, StatusCode.FailedPrecondition, "HIERARCHY_CYCLE");
        (await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = "000.00.00.H47" })).Agency.ParentOrganId.Should().BeEmpty();
    }

    [Fact]
    public async Task UpdateAgency_OwnParent_InvalidArgument()
    {
        var client = host.AdminClient();
        var top = (await client.CreateAgencyAsync(Create("1", "000.00.00.H47", null, "UBND Quảng Nam"))).Agency;
        top.ParentOrganId = top.OrganId;

        var act = async () => await client.UpdateAgencyAsync(new Proto.UpdateAgencyRequest { RequestId = "self", Agency = top });

        await ExpectAsync(act, StatusCode.InvalidArgument, "AGENCY_INVALID");
    }

    [Fact]
    public async Task ChangeAgencyState_SuspendThenReactivate_StateAndReasonFollow()
    {
        var client = host.AdminClient();
        var agency = (await client.CreateAgencyAsync(Create("s", "000.00.00.H14", null, "UBND Cao Bằng"))).Agency;

        var suspended = (await client.ChangeAgencyStateAsync(new Proto.ChangeAgencyStateRequest { RequestId = "s1", OrganId = agency.OrganId, State = Common.LifecycleState.Suspended, Reason = "Sự cố chứng thư", Etag = agency.Etag })).Agency;
        var active = (await client.ChangeAgencyStateAsync(new Proto.ChangeAgencyStateRequest { RequestId = "s2", OrganId = agency.OrganId, State = Common.LifecycleState.Active, Etag = suspended.Etag })).Agency;

        suspended.State.Should().Be(Common.LifecycleState.Suspended);
        suspended.StateReason.Should().Be("Sự cố chứng thư");
        active.State.Should().Be(Common.LifecycleState.Active);
        active.StateReason.Should().BeEmpty();
    }

    [Fact]
    public async Task ChangeAgencyState_SuspendWithoutReason_InvalidArgument()
    {
        var client = host.AdminClient();

        var act = async () => await client.ChangeAgencyStateAsync(new Proto.ChangeAgencyStateRequest { RequestId = "s", OrganId = RegistryHost.OperatorId, State = Common.LifecycleState.Suspended });

        await ExpectAsync(act, StatusCode.InvalidArgument, "REASON_REQUIRED");
    }

    [Fact]
    public async Task ChangeAgencyState_ReactivateRetired_FailedPrecondition()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("r", "000.00.00.H14", null, "UBND Cao Bằng"));
        await client.ChangeAgencyStateAsync(new Proto.ChangeAgencyStateRequest { RequestId = "r1", OrganId = "000.00.00.H14", State = Common.LifecycleState.Retired, Reason = "Sáp nhập" });

        var act = async () => await client.ChangeAgencyStateAsync(new Proto.ChangeAgencyStateRequest { RequestId = "r2", OrganId = "000.00.00.H14", State = Common.LifecycleState.Active });

        await ExpectAsync(act, StatusCode.FailedPrecondition, "AGENCY_RETIRED");
    }

    [Fact]
    public async Task Caller_OfSuspendedAgency_PermissionDenied()
    {
        var cert = await host.ClientCertificateAsync("000.00.00.H29", CallerRole.Agency);
        var client = host.Client(cert);
        await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = RegistryHost.OperatorId });
        await host.AdminClient().ChangeAgencyStateAsync(new Proto.ChangeAgencyStateRequest { RequestId = "susp", OrganId = "000.00.00.H29", State = Common.LifecycleState.Suspended, Reason = "test" });

        var act = async () => await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = RegistryHost.OperatorId });

        await ExpectAsync(act, StatusCode.PermissionDenied, "AGENCY_NOT_ACTIVE");
    }

    [Fact]
    public async Task ListAgencies_Pagination_VisitsEveryAgencyOnceInOrder()
    {
        var client = host.AdminClient();
        for (var i = 1; i <= 23; i++)
        {
            await client.CreateAgencyAsync(Create("p" + i, $"000.00.00.H{i:D2}", null, $"Tỉnh {i}"));
        }

        var seen = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await client.ListAgenciesAsync(new Proto.ListAgenciesRequest { PageSize = 5, PageToken = token });
            page.Agencies.Count.Should().BeLessThanOrEqualTo(5);
            seen.AddRange(page.Agencies.Select(a => a.OrganId));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        seen.Should().HaveCount(24).And.OnlyHaveUniqueItems().And.BeInAscendingOrder(StringComparer.Ordinal);
        pages.Should().Be(5);
    }

    [Fact]
    public async Task ListAgencies_Filters_ParentDescendantsStateLevelName()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("1", "000.00.00.H47", null, "UBND Quảng Nam"));
        await client.CreateAgencyAsync(Create("2", "000.00.10.H47", "000.00.00.H47", "UBND huyện Đại Lộc"));
        await client.CreateAgencyAsync(Create("3", "001.00.10.H47", "000.00.10.H47", "Văn phòng huyện Đại Lộc"));
        await client.CreateAgencyAsync(Create("4", "000.00.11.H47", "000.00.00.H47", "UBND huyện Duy Xuyên"));
        await client.ChangeAgencyStateAsync(new Proto.ChangeAgencyStateRequest { RequestId = "5", OrganId = "000.00.11.H47", State = Common.LifecycleState.Suspended, Reason = "test" });

        var children = await client.ListAgenciesAsync(new Proto.ListAgenciesRequest { ParentOrganId = "000.00.00.H47" });
        var descendants = await client.ListAgenciesAsync(new Proto.ListAgenciesRequest { ParentOrganId = "000.00.00.H47", IncludeDescendants = true });
        var suspended = await client.ListAgenciesAsync(new Proto.ListAgenciesRequest { State = Common.LifecycleState.Suspended });
        var level3 = await client.ListAgenciesAsync(new Proto.ListAgenciesRequest { Level = 3 });
        var named = await client.ListAgenciesAsync(new Proto.ListAgenciesRequest { NameContains = "đại lộc" });

        children.Agencies.Select(a => a.OrganId).Should().Equal("000.00.10.H47", "000.00.11.H47");
        descendants.Agencies.Select(a => a.OrganId).Should().Equal("000.00.10.H47", "000.00.11.H47", "001.00.10.H47");
        suspended.Agencies.Select(a => a.OrganId).Should().Equal("000.00.11.H47");
        level3.Agencies.Select(a => a.OrganId).Should().Equal("001.00.10.H47");
        named.Agencies.Select(a => a.OrganId).Should().Equal("000.00.10.H47", "001.00.10.H47");
    }

    [Fact]
    public async Task ListAgencies_BadPageToken_InvalidArgument()
    {
        var act = async () => await host.AdminClient().ListAgenciesAsync(new Proto.ListAgenciesRequest { PageToken = "not-a-token" });

        await ExpectAsync(act, StatusCode.InvalidArgument, "PAGE_TOKEN_INVALID");
    }

    [Fact]
    public async Task ListAgencyAncestors_Unit_ReturnsParentsNearestFirst()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("1", "000.00.00.H47", null, "UBND Quảng Nam"));
        await client.CreateAgencyAsync(Create("2", "000.00.10.H47", "000.00.00.H47", "UBND Đại Lộc"));
        await client.CreateAgencyAsync(Create("3", "001.00.10.H47", "000.00.10.H47", "VP Đại Lộc"));

        var ancestors = await client.ListAgencyAncestorsAsync(new Proto.ListAgencyAncestorsRequest { OrganId = "001.00.10.H47" });

        ancestors.Ancestors.Select(a => a.OrganId).Should().Equal("000.00.10.H47", "000.00.00.H47");
    }

    [Fact]
    public async Task Restart_SameDataDirectory_AgenciesAndBindingsSurvive()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("keep", "000.00.00.H49", null, "UBND Quảng Ninh"));

        await host.RestartAsync();
        var read = await host.AdminClient().GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = "000.00.00.H49" });

        read.Agency.DisplayName.Should().Be("UBND Quảng Ninh");
    }

    [Fact]
    public async Task ExportThenImport_JsonAndCsv_RoundTripWithoutChanges()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("1", "000.00.00.H47", null, "UBND Quảng Nam, \"tỉnh\""));
        await client.CreateAgencyAsync(Create("2", "000.00.10.H47", "000.00.00.H47", "UBND Đại Lộc"));

        foreach (var format in new[] { Proto.AgencyListFormat.Json, Proto.AgencyListFormat.Csv })
        {
            var export = await client.ExportAgenciesAsync(new Proto.ExportAgenciesRequest { Format = format });
            var import = await client.ImportAgenciesAsync(new Proto.ImportAgenciesRequest { RequestId = "imp-" + format, Format = format, Content = export.Content });

            export.Count.Should().Be(3);
            import.Created.Should().Be(0);
            import.Updated.Should().Be(0);
            import.Unchanged.Should().Be(3);
        }
    }

    [Fact]
    public async Task ImportAgencies_Csv_CreatesParentsBeforeChildren()
    {
        const string csv = "organ_id,parent_organ_id,display_name,short_name,email\n001.00.10.H47,000.00.10.H47,VP Đại Lộc,VP,vp@dailoc.gov.vn\n000.00.10.H47,000.00.00.H47,UBND Đại Lộc,,\n000.00.00.H47,,UBND Quảng Nam,,\n";

        var result = await host.AdminClient().ImportAgenciesAsync(new Proto.ImportAgenciesRequest { RequestId = "csv", Format = Proto.AgencyListFormat.Csv, Content = Google.Protobuf.ByteString.CopyFromUtf8(csv) });
        var unit = await host.AdminClient().GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = "001.00.10.H47" });

        result.Created.Should().Be(3);
        unit.Agency.Level.Should().Be(3);
        unit.Agency.Contacts.Email.Should().Be("vp@dailoc.gov.vn");
    }

    [Fact]
    public async Task ImportAgencies_OneBadRow_NothingImported()
    {
        const string json = """[{"organId":"000.00.00.H41","displayName":"UBND Nghệ An"},{"organId":"000.00.0.H14","displayName":"Bad"}]""";

        var act = async () => await host.AdminClient().ImportAgenciesAsync(new Proto.ImportAgenciesRequest { RequestId = "bad", Format = Proto.AgencyListFormat.Json, Content = Google.Protobuf.ByteString.CopyFromUtf8(json) });

        var ex = await ExpectAsync(act, StatusCode.InvalidArgument, "AGENCY_LIST_INVALID");
        ex.FieldViolations().Should().Contain(v => v.Field == "rows[1].organ_id");
        await ExpectAsync(async () => await host.AdminClient().GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = "000.00.00.H41" }), StatusCode.NotFound, "AGENCY_NOT_FOUND");
    }

    [Fact]
    public async Task ImportAgencies_CycleInList_NothingImported()
    {
        const string json = """[{"organId":"000.00.10.H47","parentOrganId":"000.00.11.H47","displayName":"A"},{"organId":"000.00.11.H47","parentOrganId":"000.00.10.H47","displayName":"B"}]""";

        var act = async () => await host.AdminClient().ImportAgenciesAsync(new Proto.ImportAgenciesRequest { RequestId = "cyc", Format = Proto.AgencyListFormat.Json, Content = Google.Protobuf.ByteString.CopyFromUtf8(json) });

        var ex = await ExpectAsync(act, StatusCode.InvalidArgument, "AGENCY_LIST_INVALID");
        ex.Message.Should().Contain("cycle");
    }

    [Fact]
    public async Task BindCertificate_IssuedByTrustedCa_ResolvesToAgency()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("b", "000.00.00.H41", null, "UBND Nghệ An"));
        using var cert = Mesh.Pki.DevelopmentPki.IssueSigningCertificate(host.Host.CertificateAuthority, "000.00.00.H41", "UBND Nghệ An", TimeSpan.FromDays(30));

        var bound = await client.BindCertificateAsync(new Proto.BindCertificateRequest { RequestId = "bind", OrganId = "000.00.00.H41", Certificate = Google.Protobuf.ByteString.CopyFrom(cert.RawData), Purpose = Proto.CertificatePurpose.DocumentSigning });
        var resolved = await client.ResolveCertificateAsync(new Proto.ResolveCertificateRequest { Thumbprint = bound.Binding.Thumbprint });
        var listed = await client.ListCertificateBindingsAsync(new Proto.ListCertificateBindingsRequest { OrganId = "000.00.00.H41" });

        resolved.Binding.OrganId.Should().Be("000.00.00.H41");
        resolved.Binding.Purpose.Should().Be(Proto.CertificatePurpose.DocumentSigning);
        listed.Bindings.Should().ContainSingle(b => b.Thumbprint == bound.Binding.Thumbprint);
    }

    [Fact]
    public async Task BindCertificate_UnknownIssuer_FailedPreconditionWithSubIndication()
    {
        var client = host.AdminClient();
        using var otherCa = Mesh.Pki.DevelopmentPki.CreateRootCa("Unknown CA", TimeSpan.FromDays(30));
        using var cert = Mesh.Pki.DevelopmentPki.IssueSigningCertificate(otherCa, RegistryHost.OperatorId, "VPCP", TimeSpan.FromDays(30));

        var act = async () => await client.BindCertificateAsync(new Proto.BindCertificateRequest { RequestId = "u", OrganId = RegistryHost.OperatorId, Certificate = Google.Protobuf.ByteString.CopyFrom(cert.RawData), Purpose = Proto.CertificatePurpose.DocumentSigning });

        var ex = await ExpectAsync(act, StatusCode.FailedPrecondition, "CERTIFICATE_UNTRUSTED");
        ex.MeshErrorInfo()!.Metadata["sub_indication"].Should().Be("NO_CERTIFICATE_CHAIN_FOUND");
    }

    [Fact]
    public async Task UnbindCertificate_ClientCertificate_StopsWorkingAtOnce()
    {
        var cert = await host.ClientCertificateAsync("000.00.00.H29", CallerRole.Agency);
        var client = host.Client(cert);
        await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = RegistryHost.OperatorId });
        var thumbprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(cert.RawData));

        await host.AdminClient().UnbindCertificateAsync(new Proto.UnbindCertificateRequest { RequestId = "unbind", OrganId = "000.00.00.H29", Thumbprint = thumbprint });
        var act = async () => await client.GetAgencyAsync(new Proto.GetAgencyRequest { OrganId = RegistryHost.OperatorId });

        await ExpectAsync(act, StatusCode.Unauthenticated, "CERTIFICATE_NOT_BOUND");
    }

    [Fact]
    public async Task AddTrustAnchor_LeafCertificate_InvalidArgument()
    {
        using var leaf = Mesh.Pki.DevelopmentPki.IssueSigningCertificate(host.Host.CertificateAuthority, RegistryHost.OperatorId, "VPCP", TimeSpan.FromDays(30));

        var act = async () => await host.AdminClient().AddTrustAnchorAsync(new Proto.AddTrustAnchorRequest { RequestId = "leaf", Certificate = Google.Protobuf.ByteString.CopyFrom(leaf.RawData), Kind = Proto.TrustAnchorKind.Root });

        await ExpectAsync(act, StatusCode.InvalidArgument, "NOT_A_CA_CERTIFICATE");
    }

    [Fact]
    public async Task PublishCrl_SignedByKnownCa_StoredAndTrustVersionIncreases()
    {
        var client = host.AdminClient();
        var before = await client.GetTrustMaterialAsync(new Proto.GetTrustMaterialRequest());
        var ca = host.Host.CertificateAuthority;
        var builder = new System.Security.Cryptography.X509Certificates.CertificateRevocationListBuilder();
        builder.AddEntry(new byte[] { 1, 2, 3 }, DateTimeOffset.UtcNow.AddMinutes(-1));
        var crl = builder.Build(ca, 7, DateTimeOffset.UtcNow.AddDays(7), System.Security.Cryptography.HashAlgorithmName.SHA256, null, DateTimeOffset.UtcNow.AddMinutes(-1));

        var stored = await client.PublishCrlAsync(new Proto.PublishCrlRequest { RequestId = "crl", Crl = Google.Protobuf.ByteString.CopyFrom(crl) });
        var after = await client.GetTrustMaterialAsync(new Proto.GetTrustMaterialRequest());

        stored.Crl.CrlNumber.Should().Be("7");
        after.Version.Should().BeGreaterThan(before.Version);
        after.Crls.Should().ContainSingle();
    }

    [Fact]
    public async Task PublishCrl_SignedByUnknownCa_InvalidArgument()
    {
        using var otherCa = Mesh.Pki.DevelopmentPki.CreateRootCa("Unknown CA", TimeSpan.FromDays(30));
        var crl = new System.Security.Cryptography.X509Certificates.CertificateRevocationListBuilder().Build(otherCa, 1, DateTimeOffset.UtcNow.AddDays(7), System.Security.Cryptography.HashAlgorithmName.SHA256);

        var act = async () => await host.AdminClient().PublishCrlAsync(new Proto.PublishCrlRequest { RequestId = "crl", Crl = Google.Protobuf.ByteString.CopyFrom(crl) });

        await ExpectAsync(act, StatusCode.InvalidArgument, "CRL_SIGNATURE_INVALID");
    }

    [Fact]
    public async Task WatchChanges_AgencyCreated_StreamsTheChange()
    {
        var client = host.AdminClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = client.WatchChanges(new Proto.WatchChangesRequest(), cancellationToken: cts.Token);
        (await watch.ResponseStream.MoveNext(cts.Token)).Should().BeTrue();
        var start = watch.ResponseStream.Current;
        start.Kind.Should().Be(Proto.ChangeKind.Unspecified, "the first message only reports where the stream starts");

        await client.CreateAgencyAsync(Create("w", "000.00.00.H41", null, "UBND Nghệ An"));
        (await watch.ResponseStream.MoveNext(cts.Token)).Should().BeTrue();
        var change = watch.ResponseStream.Current;

        change.Kind.Should().Be(Proto.ChangeKind.Agency);
        change.Subject.Should().Be("000.00.00.H41");
        long.Parse(change.Cursor, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(long.Parse(start.Cursor, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task WatchChanges_FromCursor_ReplaysLaterChanges()
    {
        var client = host.AdminClient();
        await client.CreateAgencyAsync(Create("1", "000.00.00.H41", null, "UBND Nghệ An"));
        var cursor = (await host.Registry.CurrentSequenceAsync(CancellationToken.None)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await client.CreateAgencyAsync(Create("2", "000.00.00.H14", null, "UBND Cao Bằng"));
        await client.CreateAgencyAsync(Create("3", "000.00.00.H29", null, "UBND TP.HCM"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var watch = client.WatchChanges(new Proto.WatchChangesRequest { Cursor = cursor }, cancellationToken: cts.Token);
        var subjects = new List<string>();
        (await watch.ResponseStream.MoveNext(cts.Token)).Should().BeTrue();
        watch.ResponseStream.Current.Cursor.Should().Be(cursor, "the first message reports the cursor the stream resumes from");
        while (subjects.Count < 2 && await watch.ResponseStream.MoveNext(cts.Token))
        {
            subjects.Add(watch.ResponseStream.Current.Subject);
        }

        subjects.Should().Equal("000.00.00.H14", "000.00.00.H29");
    }

    [Fact]
    public async Task CreateAgency_Audited()
    {
        await host.AdminClient().CreateAgencyAsync(Create("aud", "000.00.00.H41", null, "UBND Nghệ An"));

        host.Audit.Records.Should().Contain(r => r.Type == "REGISTRY_CHANGED" && r.ActorOrganId == RegistryHost.OperatorId && r.Detail.Contains("000.00.00.H41"));
    }

    private static Proto.CreateAgencyRequest Create(string requestId, string organId, string? parent, string name) => new()
    {
        RequestId = requestId,
        Agency = new Proto.Agency { OrganId = organId, ParentOrganId = parent ?? "", DisplayName = name },
    };

    private static async Task<RpcException> ExpectAsync(Func<Task> act, StatusCode code, string reason)
    {
        var ex = (await act.Should().ThrowAsync<RpcException>()).Which;
        ex.StatusCode.Should().Be(code, ex.Status.Detail);
        ex.MeshReason().Should().Be(reason, ex.Status.Detail);
        return ex;
    }
}
