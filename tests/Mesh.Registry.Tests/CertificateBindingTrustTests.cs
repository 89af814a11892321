using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FluentAssertions;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Identity;
using Mesh.Registry.Domain;
using Mesh.ServiceDefaults.Errors;
using Mesh.Signature.Tests.Support;
using Xunit;
using Proto = Mesh.Contracts.Registry.V1;

namespace Mesh.Registry.Tests;

/// <summary>
/// BindCertificate validates with the signature engine (RFC 5280 with the registry's anchors and CRLs), through a
/// real TLS channel: refusals carry the engine's indication and sub-indication in ErrorInfo, and nothing is bound.
/// </summary>
public sealed class CertificateBindingTrustTests : IAsyncLifetime
{
    private const string Agency = "000.00.00.H41";
    private readonly TestPki pki = new(DateTimeOffset.UtcNow);
    private RegistryHost host = null!;

    public async Task InitializeAsync()
    {
        host = await RegistryHost.StartAsync();
        await host.Registry.AddTrustAnchorAsync("root", pki.Root.RawData, TrustAnchorKind.Root, "test root", Caller.Hub, CancellationToken.None);
        await host.Registry.AddTrustAnchorAsync("intermediate", pki.Intermediate.RawData, TrustAnchorKind.Intermediate, "test issuing CA", Caller.Hub, CancellationToken.None);
        await host.Registry.CreateAsync("agency", new AgencyDraft(Agency, null, "UBND Nghệ An", "", Contacts.None), Caller.Hub, CancellationToken.None);
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task BindCertificate_ValidChainWithFreshCrls_Bound()
    {
        await PublishAsync(pki.Crl(pki.Root), pki.Crl(pki.Intermediate));
        using var leaf = pki.IssueLeaf();

        var bound = await BindAsync(leaf);

        bound.Binding.OrganId.Should().Be(Agency);
        bound.Binding.Thumbprint.Should().Be(Thumbprint(leaf));
    }

    [Fact]
    public async Task BindCertificate_ExpiredCertificate_RefusedWithExpired()
    {
        await PublishAsync(pki.Crl(pki.Root), pki.Crl(pki.Intermediate));
        using var leaf = pki.IssueLeaf(notBefore: pki.Now.AddDays(-60), notAfter: pki.Now.AddDays(-1));

        var ex = await RefusedAsync(leaf);

        ex.MeshErrorInfo()!.Metadata["sub_indication"].Should().Be("EXPIRED");
        ex.MeshErrorInfo()!.Metadata["indication"].Should().Be("TOTAL_FAILED");
        await NotBoundAsync(leaf);
    }

    [Fact]
    public async Task BindCertificate_RevokedCertificate_RefusedWithRevoked()
    {
        using var leaf = pki.IssueLeaf();
        await PublishAsync(pki.Crl(pki.Root), pki.Crl(pki.Intermediate, (leaf, pki.Now.AddHours(-1))));

        var ex = await RefusedAsync(leaf);

        ex.MeshErrorInfo()!.Metadata["sub_indication"].Should().Be("REVOKED");
        ex.Status.Detail.Should().Contain("revoked");
        await NotBoundAsync(leaf);
    }

    [Fact]
    public async Task BindCertificate_IssuingCaRevoked_RefusedWithRevoked()
    {
        await PublishAsync(pki.Crl(pki.Root, (pki.Intermediate, pki.Now.AddHours(-1))), pki.Crl(pki.Intermediate));
        using var leaf = pki.IssueLeaf();

        var ex = await RefusedAsync(leaf);

        ex.MeshErrorInfo()!.Metadata["sub_indication"].Should().Be("REVOKED");
    }

    [Fact]
    public async Task BindCertificate_UntrustedRoot_RefusedWithNoCertificateChainFound()
    {
        var other = new TestPki(DateTimeOffset.UtcNow);
        using var leaf = other.IssueLeaf();

        var ex = await RefusedAsync(leaf, other.Intermediate);

        ex.MeshErrorInfo()!.Metadata["sub_indication"].Should().Be("NO_CERTIFICATE_CHAIN_FOUND");
        ex.MeshErrorInfo()!.Metadata["indication"].Should().Be("INDETERMINATE");
    }

    [Fact]
    public async Task BindCertificate_StaleCrl_RefusedWithTryLater()
    {
        await PublishAsync(pki.Crl(pki.Root), TestPki.Crl(pki.Intermediate, pki.Now.AddDays(-3), pki.Now.AddDays(-1)));
        using var leaf = pki.IssueLeaf();

        var ex = await RefusedAsync(leaf);

        ex.MeshErrorInfo()!.Metadata["sub_indication"].Should().Be("TRY_LATER");
    }

    [Fact]
    public async Task BindCertificate_WithoutSigningKeyUsage_RefusedWithChainConstraintsFailure()
    {
        await PublishAsync(pki.Crl(pki.Root), pki.Crl(pki.Intermediate));
        using var leaf = pki.IssueLeaf(usage: X509KeyUsageFlags.KeyEncipherment);

        var ex = await RefusedAsync(leaf);

        ex.MeshErrorInfo()!.Metadata["sub_indication"].Should().Be("CHAIN_CONSTRAINTS_FAILURE");
    }

    [Fact]
    public async Task BindCertificate_NoCrlYetByDefault_BoundBecauseSignaturesCheckRevocationAgain()
    {
        using var leaf = pki.IssueLeaf();

        var bound = await BindAsync(leaf);

        bound.Binding.Thumbprint.Should().Be(Thumbprint(leaf));
    }

    [Fact]
    public async Task BindCertificate_NoCrlWhenRevocationDataRequired_RefusedWithTryLater()
    {
        await using var strict = await RegistryHost.StartAsync(settings: new Dictionary<string, string?> { ["Mesh:Registry:RequireRevocationDataToBind"] = "true" });
        await strict.Registry.AddTrustAnchorAsync("root", pki.Root.RawData, TrustAnchorKind.Root, "test root", Caller.Hub, CancellationToken.None);
        await strict.Registry.AddTrustAnchorAsync("intermediate", pki.Intermediate.RawData, TrustAnchorKind.Intermediate, "test issuing CA", Caller.Hub, CancellationToken.None);
        await strict.Registry.PublishCrlAsync("root-crl", pki.Crl(pki.Root), Caller.Hub, CancellationToken.None);
        using var leaf = pki.IssueLeaf();

        var act = async () => await strict.AdminClient().BindCertificateAsync(Request(leaf, RegistryHost.OperatorId));

        var ex = (await act.Should().ThrowAsync<RpcException>()).Which;
        ex.StatusCode.Should().Be(StatusCode.FailedPrecondition, ex.Status.Detail);
        ex.MeshReason().Should().Be("CERTIFICATE_UNTRUSTED");
        ex.MeshErrorInfo()!.Metadata["sub_indication"].Should().Be("TRY_LATER");
    }

    private async Task PublishAsync(params byte[][] crls)
    {
        foreach (var crl in crls)
        {
            await host.AdminClient().PublishCrlAsync(new Proto.PublishCrlRequest { RequestId = Guid.NewGuid().ToString("N"), Crl = ByteString.CopyFrom(crl) });
        }
    }

    private async Task<Proto.BindCertificateResponse> BindAsync(X509Certificate2 certificate) =>
        await host.AdminClient().BindCertificateAsync(Request(certificate, Agency));

    private async Task<RpcException> RefusedAsync(X509Certificate2 certificate, params X509Certificate2[] intermediates)
    {
        var request = Request(certificate, Agency);
        request.Intermediates.AddRange(intermediates.Select(i => ByteString.CopyFrom(i.RawData)));
        var act = async () => await host.AdminClient().BindCertificateAsync(request);
        var ex = (await act.Should().ThrowAsync<RpcException>()).Which;
        ex.StatusCode.Should().Be(StatusCode.FailedPrecondition, ex.Status.Detail);
        ex.MeshReason().Should().Be("CERTIFICATE_UNTRUSTED", ex.Status.Detail);
        return ex;
    }

    private async Task NotBoundAsync(X509Certificate2 certificate)
    {
        var act = async () => await host.AdminClient().ResolveCertificateAsync(new Proto.ResolveCertificateRequest { Thumbprint = Thumbprint(certificate) });
        (await act.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.NotFound);
    }

    private static Proto.BindCertificateRequest Request(X509Certificate2 certificate, string organId) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        OrganId = organId,
        Certificate = ByteString.CopyFrom(certificate.RawData),
        Purpose = Proto.CertificatePurpose.DocumentSigning,
    };

    private static string Thumbprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
}
