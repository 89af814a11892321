using System.Security.Cryptography.X509Certificates;

namespace Mesh.Cli.Tests;

public sealed class PkiCommandTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "mesh-cli-pki-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task PkiIssue_WithInitialisedCa_WritesClientAndSigningCertificatesThatChainToTheCa()
    {
        await CliRun.RunAsync("pki", "init", "--out", directory, "--json");

        var result = await CliRun.RunAsync("pki", "issue", "--issuer", Path.Combine(directory, "ca.pfx"), "--organ-id", "000.00.00.G12", "--name", "Bộ Tài chính", "--out", directory, "--json");

        result.ExitCode.Should().Be(0, result.Error);
        var certificates = result.Json["certificates"]!.AsArray();
        certificates.Select(c => (string)c!["kind"]!).Should().Equal("client", "signing");
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(directory, "ca.pem"));
        foreach (var entry in certificates)
        {
            using var fromPem = X509Certificate2.CreateFromPemFile((string)entry!["pem"]!);
            using var fromPfx = X509CertificateLoader.LoadPkcs12FromFile((string)entry["pfx"]!, null);
            fromPfx.HasPrivateKey.Should().BeTrue();
            fromPem.Thumbprint.Should().Be(fromPfx.Thumbprint).And.Be((string)entry["thumbprint"]!);
            fromPem.Subject.Should().Contain("OU=000.00.00.G12");
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.Build(fromPem).Should().BeTrue();
        }
    }

    [Fact]
    public async Task PkiInit_CaAlreadyThere_RefusesToOverwrite()
    {
        await CliRun.RunAsync("pki", "init", "--out", directory);
        var before = await File.ReadAllBytesAsync(Path.Combine(directory, "ca.pfx"));

        var result = await CliRun.RunAsync("pki", "init", "--out", directory);

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("never overwritten");
        (await File.ReadAllBytesAsync(Path.Combine(directory, "ca.pfx"))).Should().Equal(before);
    }

    [Fact]
    public async Task PkiIssue_MalformedOrganId_ExitsOneWithoutWritingFiles()
    {
        await CliRun.RunAsync("pki", "init", "--out", directory);

        var result = await CliRun.RunAsync("pki", "issue", "--issuer", Path.Combine(directory, "ca.pfx"), "--organ-id", "G12", "--name", "x", "--out", Path.Combine(directory, "out"));

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("not an OrganId");
        Directory.Exists(Path.Combine(directory, "out")).Should().BeFalse();
    }
}
