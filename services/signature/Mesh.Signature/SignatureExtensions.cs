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
        return builder;
    }
}
