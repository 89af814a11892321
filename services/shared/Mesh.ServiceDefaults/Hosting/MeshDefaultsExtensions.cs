using System.Net;
using System.Security.Cryptography.X509Certificates;
using Mesh.ServiceDefaults.Errors;
using Mesh.ServiceDefaults.Identity;
using Mesh.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Mesh.ServiceDefaults.Hosting;

/// <summary>The defaults every Mesh service process starts with.</summary>
public static class MeshDefaultsExtensions
{
    /// <summary>
    /// Telemetry (OpenTelemetry traces, metrics and logs; OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is set), gRPC with the error interceptor and message limits, grpc.health.v1, server
    /// reflection, caller identity, <see cref="TimeProvider"/>, and the agency-facing endpoint
    /// (TLS with client certificates, or h2c behind a proxy).
    /// </summary>
    public static WebApplicationBuilder AddMeshDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<MeshDataOptions>().BindConfiguration("Mesh").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MeshEndpointOptions>().BindConfiguration("Mesh:Endpoint").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MeshGrpcOptions>().BindConfiguration("Mesh:Grpc").ValidateDataAnnotations().ValidateOnStart();

        var grpcLimits = builder.Configuration.GetSection("Mesh:Grpc").Get<MeshGrpcOptions>() ?? new MeshGrpcOptions();
        services.AddGrpc(options =>
        {
            options.Interceptors.Add<MeshExceptionInterceptor>();
            options.MaxReceiveMessageSize = grpcLimits.MaxReceiveMessageSize;
            options.MaxSendMessageSize = grpcLimits.MaxSendMessageSize;
            options.EnableDetailedErrors = false;
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck("process", () => HealthCheckResult.Healthy());

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<CallerAccessor>();
        services.AddMeshBackend(builder.Configuration);
        services.AddMeshTelemetry(builder.Configuration, builder.Logging, serviceName);
        builder.ConfigureMeshEndpoint();
        return builder;
    }

    /// <summary>Maps grpc.health.v1, server reflection and the backend's endpoints (Dapr subscriptions).</summary>
    public static IEndpointRouteBuilder MapMeshDefaults(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        endpoints.MapMeshBackend();
        return endpoints;
    }

    private static void ConfigureMeshEndpoint(this WebApplicationBuilder builder)
    {
        var endpoint = builder.Configuration.GetSection("Mesh:Endpoint").Get<MeshEndpointOptions>() ?? new MeshEndpointOptions();
        var data = builder.Configuration.GetSection("Mesh").Get<MeshDataOptions>() ?? new MeshDataOptions();
        if (!string.IsNullOrEmpty(endpoint.ForwardedClientCertificateHeader))
        {
            builder.Services.AddCertificateForwarding(o => o.CertificateHeader = endpoint.ForwardedClientCertificateHeader);
        }

        // An explicit ASPNETCORE_URLS / --urls wins (e.g. a sidecar-facing plaintext port in Kubernetes).
        if (!string.IsNullOrEmpty(builder.Configuration["urls"]) || !string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            return;
        }

        X509Certificate2? serverCertificate = null;
        if (!endpoint.Plaintext)
        {
            serverCertificate = string.IsNullOrEmpty(endpoint.CertificatePath)
                ? HubCertificates.LoadOrCreate(data.FullDataDirectory).ServerCertificate
                : X509CertificateLoader.LoadPkcs12FromFile(endpoint.CertificatePath, endpoint.CertificatePassword);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            kestrel.Limits.MaxRequestBodySize = null; // streaming sends are bounded per message and per attachment, not per call
            var address = endpoint.LoopbackOnly ? IPAddress.Loopback : IPAddress.IPv6Any;
            kestrel.Listen(address, endpoint.Port, listen =>
            {
                if (endpoint.Plaintext)
                {
                    listen.Protocols = HttpProtocols.Http2;
                    return;
                }

                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = serverCertificate;
                    https.SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
                    // Any client certificate is accepted at the TLS layer; the caller is trusted only
                    // if the certificate is bound in the registry (validated against trust anchors when bound).
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (_, _, _) => true;
                    https.CheckCertificateRevocation = false;
                });
            });

            if (endpoint.InternalPort > 0 && endpoint.InternalPort != endpoint.Port)
            {
                kestrel.Listen(address, endpoint.InternalPort, listen => listen.Protocols = HttpProtocols.Http2);
            }
        });
    }

    /// <summary>Uses certificate forwarding when configured; call before mapping services.</summary>
    public static IApplicationBuilder UseMeshDefaults(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var endpoint = app.ApplicationServices.GetRequiredService<IOptions<MeshEndpointOptions>>().Value;
        if (!string.IsNullOrEmpty(endpoint.ForwardedClientCertificateHeader))
        {
            app.UseCertificateForwarding();
        }

        return app;
    }
}
