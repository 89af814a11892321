using Mesh.Hub;
using Mesh.ServiceDefaults.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-hub");
builder.AddMeshHubServices();

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshHubServices();
// Start first: first-run setup writes registry records, and their audit entries wait for the log's sequencer (a hosted service).
await app.StartAsync();
await app.Services.GetRequiredService<HubBootstrap>().RunAsync(app.Lifetime.ApplicationStopping);
await app.WaitForShutdownAsync();

/// <summary>Entry point, visible to the integration tests.</summary>
public partial class Program;
