using System.Collections.Concurrent;
using FluentAssertions;
using Grpc.Core;
using Mesh.Auditing;
using Mesh.Errors;
using Mesh.Identity;
using Mesh.Pki;
using Mesh.Registry.Infrastructure;
using Mesh.ServiceDefaults.Hosting;
using Mesh.ServiceDefaults.Peers;
using Mesh.Testing;
using Mesh.Testing.Hosting;
using Mesh.Testing.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;
using Audit = Mesh.Contracts.Audit.V1;

namespace Mesh.Registry.Tests;

/// <summary>
/// A peer that takes a call and never answers: unary peer calls end at their deadline, and the
/// registry's start-up setup abandons a stuck attempt, says where it was, and tries again.
/// </summary>
public sealed class BootstrapDeadlineTests
{
    [Fact]
    public async Task AuditPeer_PeerNeverAnswers_FailsUnavailableAtTheDeadlineAndTheNextCallGoesThrough()
    {
        var audit = new StallingAudit(stalls: 1) { Stalls = detail => detail == "stalled" };
        await using var host = await StartAuditAsync(audit);
        var options = Options.Create(new PeerOptions { Audit = new PeerEndpoint { Address = new Uri($"https://localhost:{host.Port}") }, CallTimeout = TimeSpan.FromSeconds(2) });
        using var channels = new PeerChannels(options, Options.Create(new MeshDataOptions { DataDirectory = host.DataDirectory }));
        var peer = new AuditPeer(channels, options);

        // The connection (TLS handshake included) is made first, so that the stalled call reaches the
        // service within its deadline even on a loaded machine; a call that never got there proves nothing.
        (await WarmUpAsync(peer)).Should().BeTrue("a first call goes through within ten deadlines");
        var stalled = async () => await peer.RecordAsync(Record("stalled"));

        var refused = (await stalled.Should().ThrowAsync<MeshException>()).Which;
        refused.Kind.Should().Be(ErrorKind.Unavailable);
        refused.Reason.Should().Be("DEADLINE_EXCEEDED");
        await Eventually.UntilAsync(audit.Changed, () => audit.Cancelled == 1, "the audit service saw the stalled call cancelled");
        var next = await peer.RecordAsync(Record("second"));
        audit.Appended.Select(e => e.Detail).Where(d => d != "warm-up").Should().Equal("second");
        next.Should().Be(audit.Appended.Count - 1);
    }

    private static async Task<bool> WarmUpAsync(AuditPeer peer)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            try
            {
                await peer.RecordAsync(Record("warm-up"));
                return true;
            }
            catch (MeshException e) when (e.Kind == ErrorKind.Unavailable)
            {
                // The handshake outlasted the deadline on a loaded machine: the connection is still being made.
            }
        }

        return false;
    }

    [Fact]
    public async Task Bootstrap_AuditNeverAnswersTheFirstAttempt_AttemptTimesOutIsLoggedWithItsStepAndTheRetryWritesEveryHeldRecord()
    {
        var audit = new StallingAudit(stalls: 1);
        await using var auditHost = await StartAuditAsync(audit);

        // The registry's own data directory: its CA issues the service certificate bound at start and is its trust anchor.
        var directory = Path.Combine(Path.GetTempPath(), "mesh-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var ca = HubCertificates.LoadOrCreate(directory).CertificateAuthority;
        var service = DevelopmentPki.IssueClientCertificate(ca, RegistryHost.OperatorId, "routing", TimeSpan.FromDays(30));
        await File.WriteAllTextAsync(Path.Combine(directory, "anchors.pem"), ca.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(directory, "services.pem"), service.ExportCertificatePem());
        var logs = new CapturingLoggerProvider();

        await using var registry = await TlsServiceHost.StartAsync(
            builder =>
            {
                builder.Logging.AddProvider(logs).AddFilter<CapturingLoggerProvider>(null, LogLevel.Information);
                builder.AddMeshDefaults("registry-test");
                builder.Services.AddMeshRegistry();
                builder.Services.AddMeshRegistryPeers();
            },
            app =>
            {
                app.MapMeshDefaults();
                app.MapMeshRegistry();
            },
            new Dictionary<string, string?>
            {
                ["Mesh:Registry:TrustAnchorsPath"] = Path.Combine(directory, "anchors.pem"),
                ["Mesh:Registry:ServiceCertificatesPath"] = Path.Combine(directory, "services.pem"),
                ["Mesh:Registry:BootstrapAttemptTimeout"] = "00:00:01",
                ["Mesh:Registry:SeedOnFirstRun"] = "false",
                ["Mesh:Peers:Audit:Address"] = $"https://localhost:{auditHost.Port}",
                ["Mesh:Peers:CaCertificatePath"] = WriteCa(auditHost),
                ["Mesh:Peers:CallTimeout"] = "00:00:00", // no peer deadline: only the attempt's own deadline can end the stall
            },
            directory);

        await Eventually.CompletesAsync(registry.Services.GetRequiredService<RegistryBootstrap>().Completed.ContinueWith(_ => true, TaskScheduler.Default), "the bootstrap to finish on its second attempt");

        audit.Cancelled.Should().Be(1, "the first attempt's held records were cancelled at its deadline");
        logs.Lines.Should().Contain(l => l.Contains("REGISTRY_BOOTSTRAP_TIMEOUT", StringComparison.Ordinal) && l.Contains("audit: writing the records held since start", StringComparison.Ordinal));
        logs.Lines.Should().Contain(l => l.Contains("Registry bootstrap: 1 trust anchors, 1 service", StringComparison.Ordinal));

        // Held at start: the trust anchor, the operator agency, the service binding; none lost to the stalled attempt.
        var details = audit.Appended.Select(e => e.Detail).ToList();
        details.Should().HaveCount(3);
        details.Should().ContainSingle(d => d.StartsWith("trust.anchor.added", StringComparison.Ordinal));
        details.Should().ContainSingle(d => d.StartsWith("agency.created " + RegistryHost.OperatorId, StringComparison.Ordinal));
        details.Should().ContainSingle(d => d.StartsWith("certificate.bound", StringComparison.Ordinal));
    }

    private static AuditRecord Record(string detail) => new(AuditEventTypes.RegistryChanged, DateTimeOffset.UtcNow, RegistryHost.OperatorId) { Detail = detail };

    private static Task<TlsServiceHost> StartAuditAsync(StallingAudit audit) =>
        TlsServiceHost.StartAsync(
            builder =>
            {
                builder.AddMeshDefaults("audit-stall-test");
                builder.Services.AddSingleton(audit);
                builder.Services.AddSingleton<ICertificateDirectory, NoCertificates>();
                builder.Services.AddSingleton<IAuditTrail>(new RecordingAuditTrail());
            },
            app =>
            {
                app.MapMeshDefaults();
                app.MapGrpcService<StallingAudit>();
            });

    private static string WriteCa(TlsServiceHost host)
    {
        var path = Path.Combine(host.DataDirectory, "peer-ca.pem");
        File.WriteAllText(path, host.CertificateAuthority.ExportCertificatePem());
        return path;
    }

    /// <summary>The stalling audit service authenticates nobody (it never asks).</summary>
    private sealed class NoCertificates : ICertificateDirectory
    {
        public ValueTask<CertificateResolution?> ResolveAsync(string thumbprint, CancellationToken cancellationToken = default) => ValueTask.FromResult<CertificateResolution?>(null);
    }

    /// <summary>An audit service whose first <c>stalls</c> Append calls never answer (until the caller gives up).</summary>
    private sealed class StallingAudit(int stalls) : Audit.AuditService.AuditServiceBase
    {
        private int stallsLeft = stalls;
        private int cancelled;

        public ChangeSignal Changed { get; } = new();

        public ConcurrentQueue<Audit.AuditEvent> Appended { get; } = new();

        public int Cancelled => Volatile.Read(ref cancelled);

        /// <summary>Which appends (by detail) may stall; every one by default.</summary>
        public Func<string, bool> Stalls { get; init; } = _ => true;

        public override async Task<Audit.AppendResponse> Append(Audit.AppendRequest request, ServerCallContext context)
        {
            if (Stalls(request.Event.Detail) && Interlocked.Decrement(ref stallsLeft) >= 0)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                    Changed.Pulse();
                    throw;
                }
            }

            lock (Appended)
            {
                Appended.Enqueue(request.Event);
                Changed.Pulse();
                return new Audit.AppendResponse { LeafIndex = Appended.Count - 1 };
            }
        }
    }
}
