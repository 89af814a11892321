using System.ComponentModel.DataAnnotations;
using Mesh.Identity;
using Mesh.Registry.Domain;
using Mesh.Registry.Grpc;
using Mesh.Registry.Infrastructure;
using Mesh.ServiceDefaults.Peers;
using Mesh.Signature;
using Mesh.Signature.Domain;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mesh.Registry;

/// <summary>Registry settings, bound from <c>Mesh:Registry</c>.</summary>
public sealed class RegistryOptions
{
    /// <summary>How often the stored change feed is read to learn of other instances' changes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ChangePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Load the built-in seed list of agencies when the registry is empty (development).</summary>
    public bool SeedOnFirstRun { get; set; } = true;

    /// <summary>PEM bundle of CA certificates added as trust anchors at start (roots if self-issued, else intermediates). Empty: none.</summary>
    public string TrustAnchorsPath { get; set; } = "";

    /// <summary>
    /// PEM bundle of the Mesh services' client-TLS certificates, bound at start to <see cref="OperatorOrganId"/>
    /// with the HUB_SERVICE role (processes mode: how the services authenticate to each other). Empty: none.
    /// </summary>
    public string ServiceCertificatesPath { get; set; } = "";

    /// <summary>PEM bundle of client-TLS certificates bound at start to <see cref="OperatorOrganId"/> as administrators. Empty: none.</summary>
    public string AdminCertificatesPath { get; set; } = "";

    /// <summary>The operator agency (Văn phòng Chính phủ) that service and administrator certificates belong to.</summary>
    public string OperatorOrganId { get; set; } = "000.00.00.G22";

    /// <summary>
    /// How long one attempt of the start-up setup (<see cref="ServiceCertificatesPath"/> and the rest) may take
    /// before it is abandoned, logged with the step it was on, and tried again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan BootstrapAttemptTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Refuse to bind a certificate whose CA has no CRL in the registry (see <see cref="CertificateBindingPolicy"/>).
    /// Off by default: revocation is checked again at every signature verification.
    /// </summary>
    public bool RequireRevocationDataToBind { get; set; }
}

/// <summary>Composition of the registry service (used by its own process and by Mesh.Hub).</summary>
public static class RegistryExtensions
{
    /// <summary>Registers the registry's domain, caches and background work.</summary>
    public static IServiceCollection AddMeshRegistry(this IServiceCollection services)
    {
        services.AddOptions<RegistryOptions>().BindConfiguration("Mesh:Registry").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RegistryChangeFeed>();
        services.AddSingleton<TrustMaterialReader>();
        services.AddSingleton<AgencyRegistry>();
        services.AddSingleton<AgencyImport>();
        services.AddSingleton<CertificateDirectory>();
        services.AddSingleton<ICertificateDirectory>(sp => sp.GetRequiredService<CertificateDirectory>());
        services.AddSingleton<AgencyDirectory>();
        services.AddSingleton<Mesh.Agencies.IAgencyDirectory>(sp => sp.GetRequiredService<AgencyDirectory>());
        services.AddSingleton(sp => new CertificateBindingPolicy(sp.GetRequiredService<IOptions<RegistryOptions>>().Value.RequireRevocationDataToBind));

        // Certificates are validated before binding by the signature engine, in-process over the registry's
        // own anchors and CRLs (why not over gRPC: Infrastructure/SignatureEngineAdapters.cs).
        services.AddSignatureEngine();
        services.TryAddSingleton<ITrustMaterial, RegistryTrustMaterial>();
        services.TryAddSingleton<ICertificateBindings, RegistryCertificateBindings>();
        services.AddHostedService<RegistryChangePoller>();
        services.AddSingleton<RegistryBootstrap>();
        services.AddHostedService(sp => sp.GetRequiredService<RegistryBootstrap>());
        return services;
    }

    /// <summary>
    /// The registry in its own process: the audit trail through the audit service, held back until the
    /// start-up bootstrap has bound the services' certificates (<see cref="StartupAuditTrail"/>).
    /// </summary>
    public static IServiceCollection AddMeshRegistryPeers(this IServiceCollection services)
    {
        services.AddMeshPeers();
        services.TryAddSingleton<AuditPeer>();
        services.AddSingleton(sp => new StartupAuditTrail(sp.GetRequiredService<AuditPeer>()));
        services.AddSingleton<Mesh.Auditing.IAuditTrail>(sp => sp.GetRequiredService<StartupAuditTrail>());
        services.AddMeshRemotePeers();
        return services;
    }

    /// <summary>Maps the registry's gRPC API.</summary>
    public static IEndpointRouteBuilder MapMeshRegistry(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<RegistryGrpcService>();
        return endpoints;
    }

    /// <summary>The built-in seed list (realistic agencies: VPCP, ministries, provinces, units).</summary>
    public static IReadOnlyList<AgencyDraftRow> SeedAgencies()
    {
        using var stream = typeof(RegistryExtensions).Assembly.GetManifestResourceStream("Mesh.Registry.Seed.agencies.json")
            ?? throw new InvalidOperationException("The seed list is missing from the assembly.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return AgencyListCodec.ReadJson(memory.ToArray());
    }
}
