using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mesh.ServiceDefaults.Telemetry;

/// <summary>OpenTelemetry wiring shared by every Mesh process.</summary>
public static class MeshTelemetryExtensions
{
    /// <summary>Every Mesh ActivitySource and Meter name starts with this.</summary>
    public const string SourcePattern = "Mesh.*";

    /// <summary>
    /// Traces from ASP.NET Core, gRPC clients and every "Mesh.*" source; metrics from ASP.NET Core,
    /// the runtime and every "Mesh.*" meter; logs correlated with traces. Exported over OTLP when the
    /// standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (and the other <c>OTEL_*</c> variables apply).
    /// </summary>
    public static IServiceCollection AddMeshTelemetry(this IServiceCollection services, IConfiguration configuration, ILoggingBuilder logging, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
        });

        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] ?? serviceName, serviceNamespace: "mesh"))
            .WithTracing(t => t
                .AddSource(SourcePattern)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal))
                .AddGrpcClientInstrumentation())
            .WithMetrics(m => m
                .AddMeter(SourcePattern)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation());

        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        return services;
    }
}
