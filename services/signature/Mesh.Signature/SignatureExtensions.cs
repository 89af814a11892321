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
        builder.Services.AddOptions<SignatureOptions>()
            .Bind(builder.Configuration.GetSection(SignatureOptions.SectionName))
            .Configure(o => o.GenerateDevelopmentKey |= builder.Environment.IsDevelopment() && string.IsNullOrEmpty(o.SigningKeyPath))
            .ValidateDataAnnotations()
            .Validate(o => !o.EnableOcsp, "OCSP is not implemented; revocation comes from registry CRLs")
            .ValidateOnStart();
        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<SignatureOptions>>().Value);
        builder.Services.AddSingleton<SignatureTelemetry>();
        builder.Services.AddSingleton<SignatureValidation>();
        builder.Services.AddSingleton<CmsSignatureReader>();
        builder.Services.AddSingleton<PdfSignatureReader>();
        builder.Services.AddSingleton<XmlSignatureReader>();
        builder.Services.AddSingleton<SignatureVerifier>();
        builder.Services.AddSingleton<HubSigningKey>();
        builder.Services.TryAddSingleton<Mesh.Signing.ISignatureVerifier, InProcessSignatureVerifier>();
        builder.Services.TryAddSingleton<Mesh.Signing.IHubSigner, InProcessHubSigner>();
        return builder;
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
