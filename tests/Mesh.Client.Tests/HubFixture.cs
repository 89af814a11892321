using System.Security.Cryptography.X509Certificates;
using Mesh.Contracts.Routing.V1;
using Mesh.Hub;
using Mesh.Identity;
using Mesh.Pki;
using Mesh.Registry.Domain;
using Mesh.ServiceDefaults.Hosting;
using Mesh.Testing.Hosting;
using Mesh.Testing.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Client.Tests;

/// <summary>An enrolled agency: its OrganId, client-TLS and document-signing certificates (with keys).</summary>
public sealed record Agency(string OrganId, X509Certificate2 ClientCertificate, X509Certificate2 SigningCertificate);

/// <summary>
/// The real hub (Mesh.Hub's composition and first-run setup) on Kestrel with TLS on a free
/// loopback port, and agencies enrolled with certificates from its development CA.
/// </summary>
public sealed class HubFixture : IAsyncLifetime
{
    // Agencies from the registry's seed list, one pair per test class so that inboxes do not mix.
    public const string Ministry = "000.00.00.G12";
    public const string Province = "000.00.00.H29";
    public const string OtherProvince = "000.00.00.H41";
    public const string OtherMinistry = "000.00.00.G14";

    private readonly Dictionary<string, Task<Agency>> agencies = [];

    public TlsServiceHost Host { get; private set; } = null!;

    public Uri Address => new($"https://localhost:{Host.Port}");

    public async Task InitializeAsync()
    {
        Host = await TlsServiceHost.StartAsync(
            builder =>
            {
                builder.AddMeshDefaults("mesh-client-test");
                builder.AddMeshHubServices();
            },
            app =>
            {
                app.UseMeshDefaults();
                app.MapMeshHubServices();
            },
            new Dictionary<string, string?>
            {
                ["Mesh:Routing:WatchRescan"] = "00:00:01",
                ["Mesh:Routing:WatchHeartbeat"] = "00:00:05",
            });
        await Host.Services.GetRequiredService<HubBootstrap>().RunAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    /// <summary>The agency, enrolled once: fresh certificates from the hub's CA, bound in the registry.</summary>
    public Task<Agency> AgencyAsync(string organId)
    {
        lock (agencies)
        {
            if (!agencies.TryGetValue(organId, out var agency))
            {
                agencies[organId] = agency = EnrolAsync(organId);
            }

            return agency;
        }
    }

    /// <summary>An SDK client of <paramref name="agency"/>, to the hub or to <paramref name="via"/> (a proxy in front of it).</summary>
    public MeshClient Connect(Agency agency, X509Certificate2? clientCertificate = null, TcpProxy? via = null, int maxAttempts = 5) =>
        MeshClient.Connect(new MeshClientOptions
        {
            Address = via is null ? Address : new Uri($"https://localhost:{via.Port}"),
            ClientCertificate = clientCertificate ?? agency.ClientCertificate,
            SigningCertificate = agency.SigningCertificate,
            TrustedCa = X509CertificateLoader.LoadCertificate(Host.CertificateAuthority.RawData),
            InitialBackoff = TimeSpan.FromMilliseconds(20),
            ChunkSize = 64 * 1024,
            MaxAttempts = maxAttempts,
        });

    /// <summary>A proxy to this hub.</summary>
    public TcpProxy Proxy() => TcpProxy.Start(Host.Port);

    /// <summary>A valid new-document header from <paramref name="from"/> to <paramref name="to"/>, with a fresh number.</summary>
    public static DocumentHeader Header(string from, params string[] to) =>
        ManifestFactory.Create(from, to, [], Today).Header;

    /// <summary>A signed main PDF and a random attachment of <paramref name="size"/> bytes.</summary>
    public static IReadOnlyList<OutgoingAttachment> Package(Agency sender, int size = 50_000) =>
    [
        OutgoingAttachment.FromBytes("van-ban.pdf", SignedPdf.Create(sender.SigningCertificate), AttachmentRole.MainDocument),
        OutgoingAttachment.FromBytes("phu-luc.bin", RandomBytes(size), AttachmentRole.Attachment),
    ];

    public static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    // The signing day of a fresh document is today in Asia/Ho_Chi_Minh (the hub refuses future dates).
    private static DateOnly Today =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh")).DateTime);

    private async Task<Agency> EnrolAsync(string organId)
    {
        var registry = Host.Services.GetRequiredService<AgencyRegistry>();
        var ca = Host.CertificateAuthority;
        using var client = DevelopmentPki.IssueClientCertificate(ca, organId, "Agency " + organId, TimeSpan.FromDays(30));
        using var signing = DevelopmentPki.IssueSigningCertificate(ca, organId, "Agency " + organId, TimeSpan.FromDays(30));
        await registry.BindAsync($"tls-{Guid.NewGuid():N}", organId, client.RawData, CertificatePurpose.ClientTls, [CallerRole.Agency], [], Caller.Hub, CancellationToken.None);
        await registry.BindAsync($"sign-{Guid.NewGuid():N}", organId, signing.RawData, CertificatePurpose.DocumentSigning, [], [], Caller.Hub, CancellationToken.None);
        return new Agency(organId, Reload(client), Reload(signing));
    }

    // SslStream wants a key it can use on every platform: round-trip through PKCS#12.
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
}

[CollectionDefinition(Name)]
public sealed class HubCollection : ICollectionFixture<HubFixture>
{
    public const string Name = "hub";
}
