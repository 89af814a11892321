using Mesh.Audit.Domain;
using Mesh.Audit.Grpc;
using Mesh.Audit.Infrastructure;
using Mesh.Auditing;
using Microsoft.Extensions.Options;

namespace Mesh.Audit;

/// <summary>Composition of the audit service (used by its own process and by Mesh.Hub).</summary>
public static class AuditExtensions
{
    /// <summary>
    /// Registers the log: options from <c>Mesh:Audit</c>, the checkpoint key, the sequencer (a
    /// hosted service), the reader and <see cref="IAuditTrail"/> for in-process callers.
    /// Needs an <see cref="Mesh.State.IStateStore"/> and a <see cref="TimeProvider"/> (AddMeshDefaults).
    /// </summary>
    public static IServiceCollection AddMeshAudit(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => LogKeyLoader.Load(
            sp.GetRequiredService<IOptions<AuditOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LogKeyLoader).FullName!)));
        services.AddSingleton(sp => sp.GetRequiredService<NoteSigner>().Verifier);
        services.AddSingleton<AuditSequencer>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditSequencer>());
        services.AddSingleton<AuditLogReader>();
        services.AddSingleton<SequencerAuditTrail>();
        services.AddSingleton<IAuditTrail>(sp => sp.GetRequiredService<SequencerAuditTrail>());
        return services;
    }

    /// <summary>Maps the audit gRPC API.</summary>
    public static IEndpointRouteBuilder MapMeshAudit(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<AuditGrpcService>();
        return endpoints;
    }
}

/// <summary><see cref="IAuditTrail"/> straight onto the sequencer: in-process callers wait for integration and get the leaf index.</summary>
public sealed class SequencerAuditTrail(AuditSequencer sequencer) : IAuditTrail
{
    public async ValueTask<long> RecordAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        var result = await sequencer.AppendAsync(AuditEvent.FromRecord(record), record.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        return result.Index;
    }
}
