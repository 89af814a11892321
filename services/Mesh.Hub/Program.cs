using Mesh.Hub;
using Mesh.ServiceDefaults.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-hub");
builder.AddMeshHubServices();

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshHubServices();
await app.Services.GetRequiredService<HubBootstrap>().RunAsync(app.Lifetime.ApplicationStopping);
await app.RunAsync();

/// <summary>Entry point, visible to the integration tests.</summary>
public partial class Program;
