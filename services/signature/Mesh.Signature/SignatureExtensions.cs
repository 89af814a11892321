using Mesh.ServiceDefaults.Peers;
using Mesh.Signature.Domain;
using Mesh.Signature.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mesh.Signature;

public static class SignatureExtensions
{
    /// <summary>
    /// Registers the verification engine and the hub signing key. The host supplies
    /// <see cref="ITrustMaterial"/> and <see cref="ICertificateBindings"/> (the registry client).
    /// </summary>
    public static IHostApplicationBuilder AddSignature(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSignatureEngine();
        builder.Services.Configure<SignatureOptions>(o => o.GenerateDevelopmentKey |= builder.Environment.IsDevelopment() && string.IsNullOrEmpty(o.SigningKeyPath));
        builder.Services.AddSingleton<HubSigningKey>();
        builder.Services.TryAddSingleton<Mesh.Signing.ISignatureVerifier, InProcessSignatureVerifier>();
        builder.Services.TryAddSingleton<Mesh.Signing.IHubSigner, InProcessHubSigner>();
        return builder;
    }

    /// <summary>
    /// The verification engine alone (no signing key): readers, RFC 5280 path validation with the chain
    /// cache, and the Mesh.Core <see cref="Mesh.Signing.ICertificateValidator"/> port over it. The registry
    /// composes it too, to validate certificates it binds. Idempotent. The host supplies
    /// <see cref="ITrustMaterial"/> and <see cref="ICertificateBindings"/>.
    /// </summary>
    public static IServiceCollection AddSignatureEngine(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SignatureValidation)))
        {
            return services;
        }

        services.AddOptions<SignatureOptions>()
            .BindConfiguration(SignatureOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => !o.EnableOcsp, "OCSP is not implemented; revocation comes from registry CRLs")
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<SignatureOptions>>().Value);
        services.AddSingleton<SignatureTelemetry>();
        services.AddSingleton<SignatureValidation>();
        services.AddSingleton<CmsSignatureReader>();
        services.AddSingleton<PdfSignatureReader>();
        services.AddSingleton<XmlSignatureReader>();
        services.AddSingleton<SignatureVerifier>();
        services.TryAddSingleton<Mesh.Signing.ICertificateValidator, CoreCertificateValidator>();
        return services;
    }

    /// <summary>
    /// The signature service in its own process: trust material and certificate bindings from the registry
    /// process, caller identity and the audit trail from their peers (<c>Mesh:Peers</c>).
    /// </summary>
    public static IServiceCollection AddSignaturePeers(this IServiceCollection services)
    {
        services.AddMeshRegistryPeer();
        services.TryAddSingleton<ITrustMaterial, RegistryPeerTrustMaterial>();
        services.TryAddSingleton<ICertificateBindings, RegistryPeerCertificateBindings>();
        services.AddMeshRemotePeers();
        return services;
    }

    /// <summary>Maps the signature service's gRPC API.</summary>
    public static IEndpointRouteBuilder MapSignature(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<Grpc.SignatureGrpcService>();
        return endpoints;
    }
}
