using Mesh.Audit;
using Mesh.Auditing;
using Mesh.Registry;
using Mesh.Routing;
using Mesh.ServiceDefaults.Hosting;
using Mesh.Signature;
using Mesh.Signature.Domain;
using Mesh.Signature.Infrastructure;
using Mesh.Signing;
using Mesh.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mesh.Hub;

/// <summary>Composition of the all-in-one hub.</summary>
public static class HubExtensions
{
    /// <summary>
    /// Every service of the hub in one process: registry, signature, storage, audit and routing, wired
    /// in-process (the signature engine reads trust and bindings from the registry; routing uses
    /// the chunked store, the engine and the hub key directly), plus first-run setup.
    /// </summary>
    public static WebApplicationBuilder AddMeshHubServices(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddMeshRegistry(); // with the signature engine over the registry's trust material and bindings
        builder.AddSignature();
        services.PostConfigure<SignatureOptions>(o =>
        {
            // The hub keeps its development receipt key beside its development PKI unless a key is configured.
            if (configuration[$"{SignatureOptions.SectionName}:DataDirectory"] is null)
            {
                o.DataDirectory = Path.Combine(configuration["Mesh:DataDirectory"] ?? new MeshDataOptions().DataDirectory, "keys");
            }

            o.GenerateDevelopmentKey |= string.IsNullOrEmpty(o.SigningKeyPath) && configuration.GetValue("Mesh:Hub:DevelopmentSigningKey", true);
        });
        services.AddSingleton<ISignatureVerifier, CoreSignatureVerifier>();
        services.AddSingleton<IHubSigner, CoreHubSigner>();
        services.AddMeshStorage(configuration);
        services.AddMeshAudit();
        services.PostConfigure<AuditOptions>(o =>
        {
            // The log's checkpoint key lives with the hub's other development keys unless configured.
            if (configuration[$"{AuditOptions.Section}:DataDirectory"] is null)
            {
                o.DataDirectory = Path.Combine(configuration["Mesh:DataDirectory"] ?? new MeshDataOptions().DataDirectory, "keys");
            }
        });
        services.AddMeshRouting();
        services.AddMeshHub();
        return builder;
    }

    /// <summary>Maps every service's gRPC API.</summary>
    public static IEndpointRouteBuilder MapMeshHubServices(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMeshDefaults();
        endpoints.MapMeshRegistry();
        endpoints.MapMeshStorage();
        endpoints.MapMeshRouting();
        endpoints.MapMeshAudit();
        endpoints.MapSignature();
        return endpoints;
    }

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
