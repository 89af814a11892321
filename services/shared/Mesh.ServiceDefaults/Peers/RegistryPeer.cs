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
/// <remarks>
/// A lookup is cached only while the change stream is live (its first message has arrived) and only if
/// no change arrived while the lookup was in flight, so a cached answer is never older than the last
/// change the registry reported.
/// </remarks>
public sealed partial class RegistryPeer(PeerChannels channels, IOptions<PeerOptions> options, ILogger<RegistryPeer> logger)
    : BackgroundService, ICertificateDirectory, IAgencyDirectory
{
    private readonly ConcurrentDictionary<string, CertificateResolution?> certificates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AgencyInfo?> agencies = new(StringComparer.Ordinal);
    private readonly Lock trustGate = new();
    private (Registry.GetTrustMaterialResponse Material, long Generation)? trust;
    private long trustVersion = -1;

    // Odd while the change stream is live; bumped on every change and every connect or disconnect.
    private long generation;

    // Like generation, but bumped only by trust-material changes (and connects/disconnects): agency edits do not refetch trust.
    private long trustGeneration;

    private Registry.RegistryService.RegistryServiceClient Client => new(channels.For(options.Value.Registry, "Registry"));

    /// <summary>
    /// The highest trust-material version the registry has reported, or <see cref="long.MinValue"/> while the
    /// change stream is down (no change can then be ruled out, so consumers keyed on it re-read every time).
    /// </summary>
    public long TrustVersion => (Interlocked.Read(ref trustGeneration) & 1) == 1 ? Interlocked.Read(ref trustVersion) : long.MinValue;

    /// <summary>
    /// The registry's trust anchors and CRLs (GetTrustMaterial), cached while the change stream is live and
    /// until it reports a trust-material change.
    /// </summary>
    public async ValueTask<Registry.GetTrustMaterialResponse> GetTrustMaterialAsync(CancellationToken cancellationToken = default)
    {
        var before = Interlocked.Read(ref trustGeneration);
        lock (trustGate)
        {
            if (trust is { } cached && cached.Generation == before && (before & 1) == 1)
            {
                return cached.Material;
            }
        }

        var material = await Client.GetTrustMaterialAsync(new Registry.GetTrustMaterialRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
        RaiseTrustVersion(material.Version);
        lock (trustGate)
        {
            if ((before & 1) == 1 && Interlocked.Read(ref trustGeneration) == before)
            {
                trust = (material, before);
            }
        }

        return material;
    }

    private void RaiseTrustVersion(long observed)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref trustVersion);
            if (observed <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref trustVersion, observed, current) != current);
    }

    /// <inheritdoc />
    public async ValueTask<CertificateResolution?> ResolveAsync(string thumbprint, CancellationToken cancellationToken = default)
    {
        if (certificates.TryGetValue(thumbprint, out var cached))
        {
            return cached;
        }

        var before = Interlocked.Read(ref generation);
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

        if (CanCache(before))
        {
            certificates.TryAdd(thumbprint, resolution);
            if (!CanCache(before))
            {
                certificates.TryRemove(thumbprint, out _);
            }
        }

        return resolution;
    }

    /// <inheritdoc />
    public async ValueTask<AgencyInfo?> FindAsync(string organId, CancellationToken cancellationToken = default)
    {
        if (agencies.TryGetValue(organId, out var cached))
        {
            return cached;
        }

        var before = Interlocked.Read(ref generation);
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

        if (CanCache(before))
        {
            agencies.TryAdd(organId, info);
            if (!CanCache(before))
            {
                agencies.TryRemove(organId, out _);
            }
        }

        return info;
    }

    private bool CanCache(long before) => (before & 1) == 1 && Interlocked.Read(ref generation) == before;

    /// <inheritdoc />
    public async ValueTask<long> CountActiveAsync(CancellationToken cancellationToken = default)
    {
        long count = 0;
        var token = "";
        do
        {
            var page = await Client.ListAgenciesAsync(
                new Registry.ListAgenciesRequest { PageSize = 1000, PageToken = token, State = Common.LifecycleState.Active },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            count += page.Agencies.Count;
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        return count;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Registry?.Address is null)
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
                    if (change.Kind == Registry.ChangeKind.Unspecified)
                    {
                        // The stream is live: from here on every change reaches us.
                        GoLive();
                        continue;
                    }

                    Interlocked.Add(ref generation, 2);
                    if (change.Kind == Registry.ChangeKind.TrustMaterial)
                    {
                        RaiseTrustVersion(change.TrustVersion);
                        Interlocked.Add(ref trustGeneration, 2);
                    }

                    Invalidate(change);
                }
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException && !stoppingToken.IsCancellationRequested)
            {
                LogWatchFailed(logger, ex);
            }
            finally
            {
                // While disconnected we cannot know what changed: stop caching, forget everything, then reconnect.
                GoDark();
            }

            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
        }
    }

    private void GoLive()
    {
        if ((Interlocked.Read(ref generation) & 1) == 0)
        {
            Interlocked.Increment(ref generation);
        }

        if ((Interlocked.Read(ref trustGeneration) & 1) == 0)
        {
            Interlocked.Increment(ref trustGeneration);
        }
    }

    private void GoDark()
    {
        if ((Interlocked.Read(ref generation) & 1) == 1)
        {
            Interlocked.Increment(ref generation);
        }

        if ((Interlocked.Read(ref trustGeneration) & 1) == 1)
        {
            Interlocked.Increment(ref trustGeneration);
        }

        certificates.Clear();
        agencies.Clear();
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
