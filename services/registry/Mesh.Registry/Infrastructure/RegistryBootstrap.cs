using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Errors;
using Mesh.Identity;
using Mesh.Registry.Domain;
using Microsoft.Extensions.Options;

namespace Mesh.Registry.Infrastructure;

/// <summary>
/// Start-up setup of a registry that runs as its own process (processes mode, Kubernetes): trust anchors
/// from <see cref="RegistryOptions.TrustAnchorsPath"/>, then the operator agency with the client-TLS
/// certificates of the other Mesh services (HUB_SERVICE) and of the first administrators (ADMIN) bound
/// to it. Every step is idempotent (request ids derived from the certificate), so it runs at every start,
/// and it retries until it succeeds: the audit service each change is recorded in may start later. An
/// attempt that takes longer than <see cref="RegistryOptions.BootstrapAttemptTimeout"/> is abandoned and
/// logged with the step it was on, so a peer that never answers shows up as a retry, not as silence.
/// The all-in-one hub does not use it (its HubBootstrap creates a development PKI instead).
/// </summary>
public sealed partial class RegistryBootstrap(AgencyRegistry registry, IOptions<RegistryOptions> options, IServiceProvider services, ILogger<RegistryBootstrap> logger) : BackgroundService
{
    /// <summary>Completes when setup has succeeded.</summary>
    public Task Completed => done.Task;

    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // What the current attempt is doing, for the log line of an attempt that timed out.
    private volatile string step = "";

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var anchors = ReadPem(o.TrustAnchorsPath);
        var hubServices = ReadPem(o.ServiceCertificatesPath);
        var admins = ReadPem(o.AdminCertificatesPath);
        var startupTrail = services.GetService<StartupAuditTrail>();

        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            attempt.CancelAfter(o.BootstrapAttemptTimeout);
            try
            {
                await RunAsync(o.OperatorOrganId, anchors, hubServices, admins, attempt.Token).ConfigureAwait(false);
                if (startupTrail is not null)
                {
                    step = "audit: writing the records held since start";
                    await startupTrail.OpenAsync(attempt.Token).ConfigureAwait(false);
                }

                LogDone(logger, anchors.Count, hubServices.Count, admins.Count);
                done.TrySetResult();
                return;
            }
            catch (MeshException e) when (e.Kind != ErrorKind.InvalidArgument && !stoppingToken.IsCancellationRequested)
            {
                // Typically the audit log: not up yet, or (first start) unable to authenticate this registry until
                // the service certificates are bound. Each change is committed before it is audited, so a retry
                // replays it by request id; the audit entry of a change made while the log was unreachable is lost.
                LogRetry(logger, attempt.IsCancellationRequested ? "REGISTRY_BOOTSTRAP_TIMEOUT" : e.Reason, step, e);
            }
            catch (OperationCanceledException e) when (!stoppingToken.IsCancellationRequested)
            {
                LogRetry(logger, "REGISTRY_BOOTSTRAP_TIMEOUT", step, e);
            }

            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    private async Task RunAsync(string operatorId, List<X509Certificate2> anchors, List<X509Certificate2> services, List<X509Certificate2> admins, CancellationToken ct)
    {
        foreach (var anchor in anchors)
        {
            step = $"trust anchor {anchor.Subject}";
            var kind = anchor.SubjectName.RawData.AsSpan().SequenceEqual(anchor.IssuerName.RawData) ? TrustAnchorKind.Root : TrustAnchorKind.Intermediate;
            await IgnoreExistingAsync(() => registry.AddTrustAnchorAsync($"bootstrap-anchor-{Id(anchor)}", anchor.RawData, kind, anchor.GetNameInfo(X509NameType.SimpleName, false), Caller.Hub, ct)).ConfigureAwait(false);
        }

        if (services.Count + admins.Count == 0)
        {
            return;
        }

        step = $"operator agency {operatorId}";
        if (await registry.FindAsync(operatorId, ct).ConfigureAwait(false) is null)
        {
            await IgnoreExistingAsync(() => registry.CreateAsync("bootstrap-operator", new AgencyDraft(operatorId, null, "Văn phòng Chính phủ", "VPCP", Contacts.None), Caller.Hub, ct)).ConfigureAwait(false);
        }

        foreach (var service in services)
        {
            step = $"service certificate {service.Subject}";
            await IgnoreExistingAsync(() => registry.BindAsync($"bootstrap-service-{Id(service)}", operatorId, service.RawData, CertificatePurpose.ClientTls, [CallerRole.HubService], [], Caller.Hub, ct)).ConfigureAwait(false);
        }

        foreach (var admin in admins)
        {
            step = $"administrator certificate {admin.Subject}";
            await IgnoreExistingAsync(() => registry.BindAsync($"bootstrap-admin-{Id(admin)}", operatorId, admin.RawData, CertificatePurpose.ClientTls, [CallerRole.Admin, CallerRole.Agency], [], Caller.Hub, ct)).ConfigureAwait(false);
        }
    }

    private static async Task IgnoreExistingAsync<T>(Func<ValueTask<T>> step)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (MeshException e) when (e.Kind == ErrorKind.AlreadyExists)
        {
            // Bound or added by an earlier start (or by an administrator).
        }
    }

    private static string Id(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData))[..32];

    private static List<X509Certificate2> ReadPem(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return [];
        }

        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        return [.. collection];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry bootstrap: {Anchors} trust anchors, {Services} service and {Admins} administrator certificates in place")]
    private static partial void LogDone(ILogger logger, int anchors, int services, int admins);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registry bootstrap failed ({Reason}) at {Step}; retrying")]
    private static partial void LogRetry(ILogger logger, string reason, string step, Exception exception);
}
