using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Identity;
using Mesh.Pki;
using Mesh.Registry;
using Mesh.Registry.Domain;
using Mesh.ServiceDefaults.Hosting;
using Mesh.State;
using Microsoft.Extensions.Options;

namespace Mesh.Hub;

/// <summary>Hub settings, bound from <c>Mesh:Hub</c>.</summary>
public sealed class HubOptions
{
    /// <summary>OrganId of the operator whose bootstrap administrator is created on first run (Văn phòng Chính phủ).</summary>
    public string OperatorOrganId { get; set; } = "000.00.00.G22";
}

/// <summary>
/// First-run setup of an installation: the seed agency list (when enabled and the registry is
/// empty), the installation's development CA as a trust anchor, and a bootstrap administrator
/// identity whose PKCS#12 file is written to the data directory and announced once.
/// </summary>
public sealed partial class HubBootstrap(
    AgencyRegistry registry,
    AgencyImport import,
    IStateStore store,
    IOptions<HubOptions> hubOptions,
    IOptions<RegistryOptions> registryOptions,
    IOptions<MeshDataOptions> dataOptions,
    ILogger<HubBootstrap> logger)
{
    private const string MarkerKey = "hub/bootstrap";

    /// <summary>Path of the bootstrap administrator's PKCS#12 file.</summary>
    public string AdminPfxPath => Path.Combine(dataOptions.Value.FullDataDirectory, "admin.pfx");

    /// <summary>Runs first-run setup; does nothing on later runs.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (await store.GetAsync(MarkerKey, cancellationToken).ConfigureAwait(false) is not null)
        {
            await PublishDevelopmentCrlAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var hub = Caller.Hub;
        if (registryOptions.Value.SeedOnFirstRun && await registry.IsEmptyAsync(cancellationToken).ConfigureAwait(false))
        {
            var result = await import.ImportAsync("bootstrap-seed", RegistryExtensions.SeedAgencies(), hub, cancellationToken).ConfigureAwait(false);
            LogSeeded(logger, result.Created);
        }

        var operatorId = hubOptions.Value.OperatorOrganId;
        if (await registry.FindAsync(operatorId, cancellationToken).ConfigureAwait(false) is null)
        {
            await registry.CreateAsync("bootstrap-operator", new AgencyDraft(operatorId, null, "Văn phòng Chính phủ", "VPCP", Contacts.None), hub, cancellationToken).ConfigureAwait(false);
        }

        var pki = HubCertificates.LoadOrCreate(dataOptions.Value.FullDataDirectory);
        await registry.AddTrustAnchorAsync("bootstrap-ca", pki.CertificateAuthority.RawData, TrustAnchorKind.Root, "Installation development CA", hub, cancellationToken).ConfigureAwait(false);
        // Before the first binding, so that the administrator's certificate is checked against it too.
        await PublishDevelopmentCrlAsync(cancellationToken).ConfigureAwait(false);

        using var admin = DevelopmentPki.IssueClientCertificate(pki.CertificateAuthority, operatorId, "Mesh bootstrap administrator", TimeSpan.FromDays(365));
        await registry.BindAsync("bootstrap-admin", operatorId, admin.RawData, CertificatePurpose.ClientTls, [CallerRole.Admin, CallerRole.Agency], [], hub, cancellationToken).ConfigureAwait(false);
        DevelopmentPki.SavePfx(admin, AdminPfxPath);
        var pemPath = Path.Combine(dataOptions.Value.FullDataDirectory, "admin.pem");
        File.WriteAllText(pemPath, admin.ExportCertificatePem() + "\n" + PemKey(admin) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(pemPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await store.SetAsync(MarkerKey, "done"u8.ToArray(), ETag.Absent, cancellationToken).ConfigureAwait(false);
        LogAdminCreated(logger, AdminPfxPath, operatorId, pki.CaPemPath);
    }

    /// <summary>
    /// Signature validation requires revocation data for every CA in a path (RFC 5280 §6.3, the
    /// engine's default): the hub publishes a fresh CRL of its development CA at every start, valid
    /// for <see cref="DevelopmentCrlValidity"/>, so signatures by agency certificates it issued verify.
    /// </summary>
    private async Task PublishDevelopmentCrlAsync(CancellationToken cancellationToken)
    {
        var pki = HubCertificates.LoadOrCreate(dataOptions.Value.FullDataDirectory);
        var now = DateTimeOffset.UtcNow;
        var crl = new CertificateRevocationListBuilder().Build(pki.CertificateAuthority, now.ToUnixTimeSeconds(), now + DevelopmentCrlValidity, HashAlgorithmName.SHA256, thisUpdate: now.AddMinutes(-1));
        await registry.PublishCrlAsync($"bootstrap-crl-{now.UtcTicks}", crl, Caller.Hub, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How long a development CRL is valid (the hub republishes it at every start).</summary>
    public static readonly TimeSpan DevelopmentCrlValidity = TimeSpan.FromDays(30);

    private static string PemKey(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new CryptographicException("The admin certificate has no ECDSA key.");
        return key.ExportPkcs8PrivateKeyPem();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "First run: {Count} agencies loaded from the seed list")]
    private static partial void LogSeeded(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "First run: bootstrap administrator for {OrganId} written to {Path} (PEM beside it); the hub's CA certificate is {CaPath}. Keep them safe; this is shown once.")]
    private static partial void LogAdminCreated(ILogger logger, string path, string organId, string caPath);
}
