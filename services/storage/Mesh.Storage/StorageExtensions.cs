using Mesh.Contracts.Storage.V1;
using Mesh.ServiceDefaults.Peers;
using Mesh.Storage.Domain;
using Mesh.Storage.Grpc;
using Mesh.Storage.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mesh.Storage;

public static class StorageExtensions
{
    /// <summary>
    /// The storage service: <see cref="IBlobStorage"/> as the chunked store on the registered
    /// <see cref="Mesh.State.IStateStore"/>, and the gRPC service over it.
    /// </summary>
    public static IServiceCollection AddMeshStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.SectionName))
            .Validate(o => o.ChunkSize is >= StorageOptions.MinChunkSize and <= StorageOptions.MaxChunkSize, $"Mesh:Storage:ChunkSize must be between {StorageOptions.MinChunkSize} and {StorageOptions.MaxChunkSize} bytes.")
            .Validate(o => o.DefaultRetention > TimeSpan.Zero, "Mesh:Storage:DefaultRetention must be positive.")
            .Validate(o => o.MaxBlobSize > 0, "Mesh:Storage:MaxBlobSize must be positive.")
            .Validate(o => o.StagingCollectInterval >= TimeSpan.FromSeconds(1) && o.StagingCollectInterval <= TimeSpan.FromDays(30), "Mesh:Storage:StagingCollectInterval must be between 1 second and 30 days.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StorageTelemetry>();
        services.TryAddSingleton<ChunkedBlobStore>();
        services.TryAddSingleton<IBlobStorage>(sp => sp.GetRequiredService<ChunkedBlobStore>());
        services.TryAddSingleton<StagedUploadCollector>();
        services.AddHostedService<StagedUploadCollectorService>();

        // One data message (≤ 1 MiB) plus its framing; anything larger is refused by gRPC itself.
        services.AddGrpc().AddServiceOptions<StorageGrpcService>(o => o.MaxReceiveMessageSize = StorageGrpcService.MaxDataPerMessage + (64 * 1024));
        return services;
    }

    /// <summary>
    /// <see cref="IBlobStorage"/> as a client of the storage service at <c>Mesh:Peers:Storage</c>
    /// (a service in its own process; the all-in-one hub uses <see cref="AddMeshStorage"/> instead).
    /// </summary>
    public static IServiceCollection AddMeshStoragePeer(this IServiceCollection services)
    {
        services.AddMeshPeers();
        services.TryAddSingleton<IBlobStorage>(sp => new GrpcBlobStorage(new StorageService.StorageServiceClient(
            sp.GetRequiredService<PeerChannels>().For(sp.GetRequiredService<IOptions<PeerOptions>>().Value.Storage, "Storage"))));
        return services;
    }

    public static IEndpointRouteBuilder MapMeshStorage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<StorageGrpcService>();
        return endpoints;
    }
}
