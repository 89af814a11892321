using Mesh.Registry;
using Mesh.ServiceDefaults.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-registry");
builder.Services.AddMeshRegistry();
builder.Services.AddMeshRegistryPeers(); // audit trail

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapMeshRegistry();
app.Run();
