using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using StackExchange.Redis;
using RegistryApi = Mesh.Contracts.Registry.V1;

namespace Mesh.MultiProcess.Tests;

/// <summary>An agency as the tests use it.</summary>
public sealed record TestAgency(string OrganId, X509Certificate2 ClientCertificate, X509Certificate2 SigningCertificate);

/// <summary>
/// The configuration of a five-service installation on loopback: TLS everywhere with the test PKI, each
/// service its own port and data directory, all on one real Redis under a key prefix unique to this run.
/// </summary>
public sealed class ClusterLayout
{
    public static readonly string[] Services = ["Registry", "Signature", "Storage", "Audit", "Routing"];

    public ClusterLayout(string directory)
    {
        Directory = directory;
        Pki = new TestPki(Path.Combine(directory, "pki"));
        foreach (var service in Services)
        {
            Ports[service] = FreePort();
        }
    }

    public string Directory { get; }

    public TestPki Pki { get; }

    /// <summary>Every key and stream of this run lives under it; deleted at the end.</summary>
    public string RedisPrefix { get; } = "mesh-test-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// The Redis every run shares: <c>MESH_TEST_REDIS</c> (a StackExchange.Redis configuration string such as
    /// <c>127.0.0.1:6380</c> or <c>redis.test:6379,password=…</c>), else <c>127.0.0.1:6379</c>. The tests do not start
    /// a server: <c>.ci/run</c> or the developer does (README, test prerequisites).
    /// </summary>
    public static string RedisConnection { get; } =
        Environment.GetEnvironmentVariable("MESH_TEST_REDIS") is { Length: > 0 } configured ? configured : "127.0.0.1:6379";

    public Dictionary<string, int> Ports { get; } = new(StringComparer.Ordinal);

    public Uri Address(string service) => new($"https://localhost:{Ports[service]}");

    public string DataDirectory(string service) => Path.Combine(Directory, service.ToLowerInvariant());

    /// <summary>The configuration of one service (the keys an operator sets, as Mesh:… paths).</summary>
    public Dictionary<string, string?> Settings(string service)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging:LogLevel:Mesh.Registry.Infrastructure.RegistryBootstrap"] = "Information",
            ["Mesh:DataDirectory"] = DataDirectory(service),
            ["Mesh:Endpoint:Port"] = Ports[service].ToString(CultureInfo.InvariantCulture),
            ["Mesh:Endpoint:LoopbackOnly"] = "true",
            ["Mesh:Endpoint:CertificatePath"] = Pki.ServerPfxPath,
            ["Mesh:Backend:Kind"] = "Redis",
            ["Mesh:Backend:Redis:ConnectionString"] = RedisConnection,
            ["Mesh:Backend:Redis:KeyPrefix"] = RedisPrefix,
            ["Mesh:Backend:Redis:ConsumerName"] = service.ToLowerInvariant(),
            // A killed consumer's unacknowledged events are reclaimed after this (the restarted one uses the same name anyway).
            ["Mesh:Backend:Redis:VisibilityTimeout"] = "00:00:05",
            ["Mesh:Backend:Redis:ReclaimInterval"] = "00:00:01",
            ["Mesh:Peers:ClientCertificatePath"] = Pki.ServicePfxPath,
            ["Mesh:Peers:CaCertificatePath"] = Pki.CaPemPath,
        };
        foreach (var peer in Services.Where(p => p != service))
        {
            settings[$"Mesh:Peers:{peer}:Address"] = Address(peer).ToString();
        }

        switch (service)
        {
            case "Registry":
                settings["Mesh:Registry:TrustAnchorsPath"] = Pki.CaPemPath;
                settings["Mesh:Registry:ServiceCertificatesPath"] = Pki.ServicePemPath;
                settings["Mesh:Registry:AdminCertificatesPath"] = Pki.AdminPemPath;
                settings["Mesh:Registry:OperatorOrganId"] = TestPki.OperatorOrganId;
                break;
            case "Signature":
                settings["Mesh:Signature:SigningKeyPath"] = Pki.HubSigningPfxPath;
                settings["Mesh:Signature:DataDirectory"] = DataDirectory(service);
                break;
            case "Audit":
                settings["Mesh:Audit:DataDirectory"] = DataDirectory(service);
                break;
            case "Routing":
                settings["Mesh:Routing:WatchRescan"] = "00:00:01";
                settings["Mesh:Routing:WatchHeartbeat"] = "00:00:05";
                break;
        }

        return settings;
    }

    /// <summary>A TLS channel to <paramref name="service"/> presenting <paramref name="clientCertificate"/> and trusting only the test CA.</summary>
    public GrpcChannel Channel(string service, X509Certificate2 clientCertificate)
    {
        var ca = Pki.Ca;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = new X509CertificateCollection { clientCertificate },
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return chain.Build(leaf);
                },
            },
        };
        return GrpcChannel.ForAddress(Address(service), new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 8 * 1024 * 1024 });
    }

    /// <summary>
    /// As the administrator bound at the registry's start: publishes the CA's CRL and binds a client-TLS
    /// and a document-signing certificate for each agency, which it registers first (top-level agencies).
    /// </summary>
    public async Task<IReadOnlyList<TestAgency>> EnrolAsync(params string[] organIds)
    {
        using var channel = Channel("Registry", Pki.Admin);
        var registry = new RegistryApi.RegistryService.RegistryServiceClient(channel);
        await registry.PublishCrlAsync(new RegistryApi.PublishCrlRequest { RequestId = "crl-" + Guid.NewGuid().ToString("N"), Crl = ByteString.CopyFrom(Pki.Crl()) });
        var agencies = new List<TestAgency>();
        foreach (var organId in organIds)
        {
            await registry.CreateAgencyAsync(new RegistryApi.CreateAgencyRequest
            {
                RequestId = "agency-" + organId,
                Agency = new RegistryApi.Agency { OrganId = organId, DisplayName = "Agency " + organId, ShortName = organId },
            });
            var (client, signing) = Pki.IssueAgency(organId);
            var tls = new RegistryApi.BindCertificateRequest { RequestId = "tls-" + Guid.NewGuid().ToString("N"), OrganId = organId, Certificate = ByteString.CopyFrom(client.RawData), Purpose = RegistryApi.CertificatePurpose.ClientTls };
            tls.Roles.Add(RegistryApi.Role.Agency);
            await registry.BindCertificateAsync(tls);
            await registry.BindCertificateAsync(new RegistryApi.BindCertificateRequest { RequestId = "sign-" + Guid.NewGuid().ToString("N"), OrganId = organId, Certificate = ByteString.CopyFrom(signing.RawData), Purpose = RegistryApi.CertificatePurpose.DocumentSigning });
            agencies.Add(new TestAgency(organId, client, signing));
        }

        return agencies;
    }

    /// <summary>Deletes every Redis key of this run.</summary>
    public async Task DeleteRedisKeysAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnection);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var database = redis.GetDatabase();
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: "{" + RedisPrefix + "}*", pageSize: 1000))
        {
            keys.Add(key);
        }

        foreach (var batch in keys.Chunk(500))
        {
            await database.KeyDeleteAsync(batch);
        }
    }

    /// <summary>Whether any key of this run is left in Redis.</summary>
    public async Task<long> CountRedisKeysAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnection);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        long count = 0;
        await foreach (var _ in server.KeysAsync(pattern: "{" + RedisPrefix + "}*", pageSize: 1000))
        {
            count++;
        }

        return count;
    }

    private static int FreePort() => Mesh.Testing.FreePorts.Next();
}

/// <summary>The five services as separate processes, started in dependency order.</summary>
public sealed class MeshCluster : IAsyncDisposable
{
    private readonly Dictionary<string, ServiceProcess> processes = new(StringComparer.Ordinal);

    private MeshCluster(ClusterLayout layout) => Layout = layout;

    public ClusterLayout Layout { get; }

    public ServiceProcess this[string service] => processes[service];

    public static async Task<MeshCluster> StartAsync()
    {
        var cluster = new MeshCluster(new ClusterLayout(Path.Combine(Path.GetTempPath(), "mesh-procs-" + Guid.NewGuid().ToString("N"))));
        try
        {
            // Registry and audit need each other (audit checks the registry's certificate, the registry's
            // bootstrap records in the log); the bootstrap retries until the log answers.
            foreach (var service in ClusterLayout.Services)
            {
                cluster.Start(service);
            }

            foreach (var service in ClusterLayout.Services)
            {
                await cluster[service].WaitForOutputAsync("Application started");
            }

            await cluster["Registry"].WaitForOutputAsync("Registry bootstrap:");
            return cluster;
        }
        catch (Exception e)
        {
            var logs = cluster.Logs;
            await cluster.DisposeAsync();
            throw new InvalidOperationException($"The cluster did not start: {e.Message}\n{logs}", e);
        }
    }

    public void Start(string service) =>
        processes[service] = ServiceProcess.Start(service, Layout.Settings(service), Layout.DataDirectory(service));

    /// <summary>SIGKILLs a service and starts it again on the same configuration; returns once it serves.</summary>
    public async Task KillAndRestartAsync(string service)
    {
        var old = processes[service];
        old.Kill();
        old.Dispose();
        Start(service);
        await processes[service].WaitForOutputAsync("Application started");
    }

    /// <summary>Every process's output, for failure messages.</summary>
    public string Logs => string.Join("\n", processes.Select(p => $"===== {p.Key}\n{p.Value.Log}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in processes.Values)
        {
            process.Dispose();
        }

        await Layout.DeleteRedisKeysAsync();
        if (Directory.Exists(Layout.Directory))
        {
            Directory.Delete(Layout.Directory, recursive: true);
        }
    }
}
