using System.Collections.Concurrent;
using Grpc.Core;
using Mesh.Agencies;
using Mesh.Identity;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Common = Mesh.Contracts.Common.V1;
using Registry = Mesh.Contracts.Registry.V1;

namespace Mesh.ServiceDefaults.Peers;

/// <summary>
/// The registry seen from another process: certificate and agency lookups through its gRPC API,
/// cached, with entries dropped as the registry's WatchChanges stream reports changes.
/// </summary>
public sealed partial class RegistryPeer(PeerChannels channels, IOptions<PeerOptions> options, ILogger<RegistryPeer> logger)
    : BackgroundService, ICertificateDirectory, IAgencyDirectory
{
    private readonly ConcurrentDictionary<string, CertificateResolution?> certificates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AgencyInfo?> agencies = new(StringComparer.Ordinal);

    private Registry.RegistryService.RegistryServiceClient Client => new(channels.For(options.Value.Registry, "Registry"));

    /// <inheritdoc />
    public async ValueTask<CertificateResolution?> ResolveAsync(string thumbprint, CancellationToken cancellationToken = default)
    {
        if (certificates.TryGetValue(thumbprint, out var cached))
        {
            return cached;
        }

        CertificateResolution? resolution;
        try
        {
            var response = await Client.ResolveCertificateAsync(new Registry.ResolveCertificateRequest { Thumbprint = thumbprint }, cancellationToken: cancellationToken).ConfigureAwait(false);
            var roles = new HashSet<CallerRole>(response.Binding.Roles.Select(r => (CallerRole)(int)r));
            resolution = new CertificateResolution(
                new Caller(response.Binding.OrganId, roles, response.Binding.Thumbprint),
                response.AgencyState == Common.LifecycleState.Active,
                response.Binding.Purpose == Registry.CertificatePurpose.ClientTls);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            resolution = null;
        }

        certificates.TryAdd(thumbprint, resolution);
        return resolution;
    }

    /// <inheritdoc />
    public async ValueTask<AgencyInfo?> FindAsync(string organId, CancellationToken cancellationToken = default)
    {
        if (agencies.TryGetValue(organId, out var cached))
        {
            return cached;
        }

        AgencyInfo? info;
        try
        {
            var a = (await Client.GetAgencyAsync(new Registry.GetAgencyRequest { OrganId = organId }, cancellationToken: cancellationToken).ConfigureAwait(false)).Agency;
            info = new AgencyInfo(a.OrganId, a.DisplayName, a.State == Common.LifecycleState.Active, string.IsNullOrEmpty(a.ParentOrganId) ? null : a.ParentOrganId);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            info = null;
        }

        agencies.TryAdd(organId, info);
        return info;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Registry is null)
        {
            return;
        }

        var cursor = "";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var call = Client.WatchChanges(new Registry.WatchChangesRequest { Cursor = cursor }, cancellationToken: stoppingToken);
                await foreach (var change in call.ResponseStream.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                {
                    cursor = change.Cursor;
                    Invalidate(change);
                }
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException && !stoppingToken.IsCancellationRequested)
            {
                // While disconnected we cannot know what changed: forget everything, then reconnect.
                certificates.Clear();
                agencies.Clear();
                LogWatchFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private void Invalidate(Registry.WatchChangesResponse change)
    {
        switch (change.Kind)
        {
            case Registry.ChangeKind.CertificateBinding:
                certificates.TryRemove(change.Subject, out _);
                break;
            case Registry.ChangeKind.Agency:
                agencies.TryRemove(change.Subject, out _);
                foreach (var (key, value) in certificates)
                {
                    if (value is null || value.Caller.OrganId == change.Subject)
                    {
                        certificates.TryRemove(key, out _);
                    }
                }

                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registry change stream interrupted; caches cleared, reconnecting")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception);
}
