using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Auditing;
using Mesh.Identity;
using Mesh.Pki;
using Mesh.ServiceDefaults.Errors;
using Mesh.ServiceDefaults.Hosting;
using Mesh.Signature.Domain;
using Mesh.Signature.Tests.Support;
using Mesh.Testing;
using Mesh.Testing.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Proto = Mesh.Contracts.Signature.V1;

namespace Mesh.Signature.Tests;

/// <summary>
/// The signature service as its own process composes it (AddSignature, MapSignature), on real Kestrel with TLS,
/// called through real gRPC channels with client certificates. The registry's answers (trust material, who a
/// client certificate belongs to) are in-memory; everything else is the production path.
/// </summary>
public sealed class SignatureGrpcServiceTests : IAsyncLifetime
{
    private const string AgencyId = "000.00.00.H41";
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("status 03: accepted and registered");
    private readonly TestPki pki = new(DateTimeOffset.UtcNow);
    private readonly InMemoryTrust trust = new();
    private readonly InMemoryBindings bindings = new();
    private readonly StaticDirectory directory = new();
    private TlsServiceHost host = null!;
    private X509Certificate2 agency = null!;
    private X509Certificate2 hubService = null!;

    public async Task InitializeAsync()
    {
        trust.Set(anchors: [pki.Root], intermediates: [pki.Intermediate], crls: [pki.Crl(pki.Root), pki.Crl(pki.Intermediate)]);
        var data = Path.Combine(Path.GetTempPath(), "mesh-signature-test-" + Guid.NewGuid().ToString("N"));
        host = await TlsServiceHost.StartAsync(
            builder =>
            {
                builder.AddMeshDefaults("signature-test");
                builder.AddSignature();
                builder.Services.AddSingleton<ITrustMaterial>(trust);
                builder.Services.AddSingleton<ICertificateBindings>(bindings);
                builder.Services.AddSingleton<ICertificateDirectory>(directory);
                builder.Services.AddSingleton<IAuditTrail>(new RecordingAuditTrail());
            },
            app =>
            {
                app.MapMeshDefaults();
                app.MapSignature();
            },
            new Dictionary<string, string?> { ["Mesh:Signature:DataDirectory"] = Path.Combine(data, "keys") },
            data);
        agency = directory.Issue(host.CertificateAuthority, AgencyId, CallerRole.Agency);
        hubService = directory.Issue(host.CertificateAuthority, "000.00.00.G22", CallerRole.HubService);
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Verify_DetachedCmsBySignerBoundToAgency_TotalPassedAndBound()
    {
        var leaf = pki.IssueLeaf();
        bindings.Bind(leaf, AgencyId);
        var cms = TestPki.SignCms(Content, leaf, DateTimeOffset.UtcNow.AddMinutes(-1));

        var response = await VerifyDetachedForAgencyAsync(cms);

        response.Overall.Should().Be(Proto.Indication.TotalPassed);
        response.Reports.Should().ContainSingle();
        response.Reports[0].BindingCheck.Should().Be(Proto.BindingCheck.Bound);
        response.Reports[0].Signer.BoundOrganId.Should().Be(AgencyId);
        response.Reports[0].Chain.Should().HaveCount(3);
    }

    [Fact]
    public async Task Verify_DetachedCmsByRsa2048SignerUnderP256DevelopmentCa_TotalPassedAndBound()
    {
        // How the load generator signs by default (TT 39/2017 lists RSA of at least 2048 bits), under a P-256 development CA.
        using var ca = DevelopmentPki.CreateRootCa("Mesh test development CA", TimeSpan.FromDays(2));
        trust.Set(anchors: [pki.Root, ca], intermediates: [pki.Intermediate], crls: [pki.Crl(pki.Root), pki.Crl(pki.Intermediate), pki.Crl(ca)]);
        using var signer = DevelopmentPki.IssueSigningCertificate(ca, AgencyId, "Agency " + AgencyId, TimeSpan.FromDays(1), LeafKeyAlgorithm.Rsa2048);
        using (var key = signer.GetRSAPublicKey())
        {
            key!.KeySize.Should().Be(2048);
        }

        bindings.Bind(signer, AgencyId);
        var cms = TestPki.SignCms(Content, signer, DateTimeOffset.UtcNow.AddMinutes(-1));

        var response = await VerifyDetachedForAgencyAsync(cms);

        response.Overall.Should().Be(Proto.Indication.TotalPassed, response.Reports[0].Reason);
        response.Reports[0].BindingCheck.Should().Be(Proto.BindingCheck.Bound);
        response.Reports[0].Chain.Should().HaveCount(2);
    }

    [Fact]
    public async Task Verify_TamperedContent_ReportSaysHashFailureNotAnRpcError()
    {
        var cms = TestPki.SignCms(Content, pki.IssueLeaf(), DateTimeOffset.UtcNow.AddMinutes(-1));
        var tampered = (byte[])Content.Clone();
        tampered[0] ^= 1;

        var response = await Client(agency).VerifyAsync(new Proto.VerifyRequest
        {
            Format = Proto.SignatureFormat.Cms,
            Content = ByteString.CopyFrom(cms),
            DetachedContent = ByteString.CopyFrom(tampered),
        });

        response.Overall.Should().Be(Proto.Indication.TotalFailed);
        response.Reports[0].SubIndication.Should().Be(Proto.SubIndication.HashFailure);
    }

    [Fact]
    public async Task Verify_NoFormat_InvalidArgument()
    {
        var act = async () => await Client(agency).VerifyAsync(new Proto.VerifyRequest { Content = ByteString.CopyFromUtf8("x") });

        var ex = (await act.Should().ThrowAsync<RpcException>()).Which;
        ex.StatusCode.Should().Be(StatusCode.InvalidArgument, ex.Status.Detail);
        ex.MeshReason().Should().Be("SIGNATURE_FORMAT_REQUIRED");
    }

    [Fact]
    public async Task Verify_WithoutClientCertificate_Unauthenticated()
    {
        var act = async () => await Client(null).VerifyAsync(new Proto.VerifyRequest { Format = Proto.SignatureFormat.Cms, Content = ByteString.CopyFromUtf8("x") });

        var ex = (await act.Should().ThrowAsync<RpcException>()).Which;
        ex.StatusCode.Should().Be(StatusCode.Unauthenticated, ex.Status.Detail);
        ex.MeshReason().Should().Be("CLIENT_CERTIFICATE_REQUIRED");
    }

    [Fact]
    public async Task ValidateCertificate_RevokedLeaf_TotalFailedRevoked()
    {
        var leaf = pki.IssueLeaf();
        trust.Set(crls: [pki.Crl(pki.Root), pki.Crl(pki.Intermediate, (leaf, pki.Now.AddHours(-1)))]);

        var response = await Client(agency).ValidateCertificateAsync(new Proto.ValidateCertificateRequest { Certificate = ByteString.CopyFrom(leaf.RawData) });

        response.Report.Indication.Should().Be(Proto.Indication.TotalFailed);
        response.Report.SubIndication.Should().Be(Proto.SubIndication.Revoked);
    }

    [Fact]
    public async Task ValidateCertificate_ExpiredLeafAtPastTimeWhenValid_TotalPassed()
    {
        var leaf = pki.IssueLeaf(notBefore: pki.Now.AddDays(-60), notAfter: pki.Now.AddDays(-10));
        var pem = Encoding.ASCII.GetBytes(leaf.ExportCertificatePem());
        var now = await Client(agency).ValidateCertificateAsync(new Proto.ValidateCertificateRequest { Certificate = ByteString.CopyFrom(pem) });

        var then = await Client(agency).ValidateCertificateAsync(new Proto.ValidateCertificateRequest
        {
            Certificate = ByteString.CopyFrom(pem),
            ValidationTime = Timestamp.FromDateTimeOffset(pki.Now.AddDays(-20)),
        });

        now.Report.SubIndication.Should().Be(Proto.SubIndication.Expired);
        then.Report.Indication.Should().Be(Proto.Indication.TotalPassed, then.Report.Reason);
        then.Report.Chain.Should().HaveCount(3);
    }

    [Fact]
    public async Task ValidateCertificate_ClientTlsUsageWithoutDigitalSignature_ChainConstraintsFailure()
    {
        var leaf = pki.IssueLeaf(usage: X509KeyUsageFlags.NonRepudiation);

        var response = await Client(agency).ValidateCertificateAsync(new Proto.ValidateCertificateRequest
        {
            Certificate = ByteString.CopyFrom(leaf.RawData),
            Usage = Proto.CertificateUsage.ClientTls,
        });

        response.Report.SubIndication.Should().Be(Proto.SubIndication.ChainConstraintsFailure, response.Report.Reason);
    }

    [Fact]
    public async Task Sign_AgencyCaller_PermissionDeniedHubServiceOnly()
    {
        var act = async () => await Client(agency).SignAsync(new Proto.SignRequest { Data = ByteString.CopyFrom(Content), Purpose = "receipt" });

        var ex = (await act.Should().ThrowAsync<RpcException>()).Which;
        ex.StatusCode.Should().Be(StatusCode.PermissionDenied, ex.Status.Detail);
        ex.MeshReason().Should().Be("HUB_SERVICE_ONLY");
    }

    [Fact]
    public async Task Sign_HubServiceCaller_DetachedCmsVerifiesWithPublishedHubCertificate()
    {
        var signed = await Client(hubService).SignAsync(new Proto.SignRequest { Data = ByteString.CopyFrom(Content), Purpose = "receipt" });
        var published = await Client(agency).GetSigningCertificateAsync(new Proto.GetSigningCertificateRequest());

        var cms = new SignedCms(new ContentInfo(Content), detached: true);
        cms.Decode(signed.CmsSignature.ToByteArray());
        cms.CheckSignature(verifySignatureOnly: true);
        cms.SignerInfos[0].Certificate!.RawData.Should().Equal(published.CertificateDer.ToByteArray());
        var tampered = new SignedCms(new ContentInfo(Encoding.UTF8.GetBytes("status 04: refused")), detached: true);
        tampered.Decode(signed.CmsSignature.ToByteArray());
        tampered.Invoking(t => t.CheckSignature(verifySignatureOnly: true)).Should().Throw<CryptographicException>();
    }

    private Proto.SignatureService.SignatureServiceClient Client(X509Certificate2? certificate) => new(host.Channel(certificate));

    /// <summary>The agency asks whether <paramref name="cms"/> is a valid detached signature of <see cref="Content"/> bound to it.</summary>
    private async Task<Proto.VerifyResponse> VerifyDetachedForAgencyAsync(byte[] cms) =>
        await Client(agency).VerifyAsync(new Proto.VerifyRequest
        {
            Format = Proto.SignatureFormat.Cms,
            Content = ByteString.CopyFrom(cms),
            DetachedContent = ByteString.CopyFrom(Content),
            ExpectedOrganId = AgencyId,
        });

    /// <summary>Who a client certificate belongs to, as the registry would answer.</summary>
    private sealed class StaticDirectory : ICertificateDirectory
    {
        private readonly Dictionary<string, CertificateResolution> entries = new(StringComparer.Ordinal);

        public X509Certificate2 Issue(X509Certificate2 ca, string organId, CallerRole role)
        {
            var certificate = DevelopmentPki.IssueClientCertificate(ca, organId, "Agency " + organId, TimeSpan.FromDays(1));
            var thumbprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
            lock (entries)
            {
                entries[thumbprint] = new CertificateResolution(new Caller(organId, new HashSet<CallerRole> { role }, thumbprint), AgencyActive: true, IsClientTls: true);
            }

            return certificate;
        }

        public ValueTask<CertificateResolution?> ResolveAsync(string thumbprint, CancellationToken cancellationToken = default)
        {
            lock (entries)
            {
                return ValueTask.FromResult(entries.GetValueOrDefault(thumbprint));
            }
        }
    }
}
