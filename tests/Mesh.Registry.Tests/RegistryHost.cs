using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Mesh.Auditing;
using Mesh.Identity;
using Mesh.Pki;
using Mesh.Registry.Domain;
using Mesh.ServiceDefaults.Hosting;
using Mesh.Testing;
using Mesh.Testing.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Proto = Mesh.Contracts.Registry.V1;

namespace Mesh.Registry.Tests;

/// <summary>The registry service on real Kestrel + TLS, with an operator agency and an admin certificate.</summary>
public sealed class RegistryHost : IAsyncDisposable
{
    public const string OperatorId = "000.00.00.G22";

    private RegistryHost(TlsServiceHost host, RecordingAuditTrail audit)
    {
        Host = host;
        Audit = audit;
    }

    public TlsServiceHost Host { get; }

    public RecordingAuditTrail Audit { get; private set; }

    public X509Certificate2 Admin { get; private set; } = null!;

    public AgencyRegistry Registry => Host.Services.GetRequiredService<AgencyRegistry>();

    public static async Task<RegistryHost> StartAsync(string? dataDirectory = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var audit = new RecordingAuditTrail();
        var host = await TlsServiceHost.StartAsync(
            builder =>
            {
                builder.AddMeshDefaults("registry-test");
                builder.Services.AddMeshRegistry();
                builder.Services.AddSingleton<IAuditTrail>(audit);
            },
            app =>
            {
                app.MapMeshDefaults();
                app.MapMeshRegistry();
            },
            settings,
            dataDirectory).ConfigureAwait(false);
        var result = new RegistryHost(host, audit);
        await result.BootstrapAsync(settings?.ContainsKey("Mesh:Registry:RequireRevocationDataToBind") == true).ConfigureAwait(false);
        return result;
    }

    public async Task RestartAsync()
    {
        await Host.StopAsync().ConfigureAwait(false);
        await Host.StartAsync().ConfigureAwait(false);
    }

    public Proto.RegistryService.RegistryServiceClient Client(X509Certificate2? certificate) => new(Host.Channel(certificate));

    public Proto.RegistryService.RegistryServiceClient AdminClient() => Client(Admin);

    /// <summary>Creates an agency (if needed) and binds a fresh client-TLS certificate with the given roles.</summary>
    public async Task<X509Certificate2> ClientCertificateAsync(string organId, params CallerRole[] roles)
    {
        if (await Registry.FindAsync(organId, CancellationToken.None).ConfigureAwait(false) is null)
        {
            await Registry.CreateAsync("test-" + organId, new AgencyDraft(organId, null, "Agency " + organId, "", Contacts.None), Caller.Hub, CancellationToken.None).ConfigureAwait(false);
        }

        var cert = DevelopmentPki.IssueClientCertificate(Host.CertificateAuthority, organId, "Agency " + organId, TimeSpan.FromDays(30));
        await Registry.BindAsync(Guid.NewGuid().ToString("N"), organId, cert.RawData, CertificatePurpose.ClientTls, roles, [], Caller.Hub, CancellationToken.None).ConfigureAwait(false);
        return cert;
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync().ConfigureAwait(false);

    private async Task BootstrapAsync(bool publishCaCrl)
    {
        await Registry.AddTrustAnchorAsync("ca", Host.CertificateAuthority.RawData, TrustAnchorKind.Root, "test CA", Caller.Hub, CancellationToken.None).ConfigureAwait(false);
        if (publishCaCrl)
        {
            // A registry that requires revocation data to bind needs the CA's CRL before the admin certificate.
            var now = DateTimeOffset.UtcNow;
            var crl = new CertificateRevocationListBuilder().Build(Host.CertificateAuthority, 1, now.AddDays(1), System.Security.Cryptography.HashAlgorithmName.SHA256, thisUpdate: now.AddMinutes(-1));
            await Registry.PublishCrlAsync("ca-crl", crl, Caller.Hub, CancellationToken.None).ConfigureAwait(false);
        }

        Admin = await ClientCertificateAsync(OperatorId, CallerRole.Admin, CallerRole.Agency).ConfigureAwait(false);
    }
}
