using System.ComponentModel.DataAnnotations;
using Mesh.Backends.Embedded;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.ServiceDefaults.Hosting;

/// <summary>Which implementation of the state and event ports a process uses.</summary>
public enum BackendKind
{
    /// <summary>SQLite in the data directory with an in-process bus over a durable outbox (default).</summary>
    Embedded = 1,
}

/// <summary>Backend selection, bound from <c>Mesh:Backend</c>.</summary>
public sealed class MeshBackendOptions
{
    /// <summary>The backend (default Embedded).</summary>
    [EnumDataType(typeof(BackendKind))]
    public BackendKind Kind { get; set; } = BackendKind.Embedded;
}

/// <summary>Registers the configured backend; no service code knows which one it has.</summary>
public static class MeshBackendExtensions
{
    /// <summary>Registers IStateStore and IEventBus from <c>Mesh:Backend:Kind</c>.</summary>
    public static IServiceCollection AddMeshBackend(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MeshBackendOptions>().BindConfiguration("Mesh:Backend").ValidateDataAnnotations().ValidateOnStart();
        var kind = configuration.GetSection("Mesh:Backend").Get<MeshBackendOptions>()?.Kind ?? BackendKind.Embedded;
        switch (kind)
        {
            case BackendKind.Embedded:
                services.AddMeshEmbeddedBackend(configuration);
                // The embedded database lives in the process's data directory unless placed elsewhere explicitly.
                services.PostConfigure<EmbeddedOptions>(o =>
                {
                    if (configuration[$"{EmbeddedOptions.SectionName}:DataDirectory"] is null)
                    {
                        o.DataDirectory = configuration["Mesh:DataDirectory"] ?? new MeshDataOptions().DataDirectory;
                    }
                });
                break;
            default:
                throw new InvalidOperationException($"Mesh:Backend:Kind '{kind}' is not supported.");
        }

        return services;
    }
}
