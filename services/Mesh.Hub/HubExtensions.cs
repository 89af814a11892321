using Mesh.Auditing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mesh.Hub;

/// <summary>Composition of the all-in-one hub.</summary>
public static class HubExtensions
{
    /// <summary>Registers hub-only parts: options and first-run setup.</summary>
    public static IServiceCollection AddMeshHub(this IServiceCollection services)
    {
        services.AddOptions<HubOptions>().BindConfiguration("Mesh:Hub").ValidateOnStart();
        services.AddSingleton<HubBootstrap>();
        services.TryAddSingleton<IAuditTrail, LogAuditTrail>();
        return services;
    }
}

/// <summary>
/// Writes audit records to the structured log until the audit service is composed into the hub.
/// </summary>
internal sealed partial class LogAuditTrail(ILogger<LogAuditTrail> logger) : IAuditTrail
{
    public ValueTask<long> RecordAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        LogRecord(logger, record.Type, record.ActorOrganId, record.Outcome, record.Detail);
        return ValueTask.FromResult(-1L);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "audit {Type} actor={Actor} outcome={Outcome} {Detail}")]
    private static partial void LogRecord(ILogger logger, string type, string actor, string outcome, string detail);
}
