using Mesh.Routing;
using Mesh.ServiceDefaults.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-routing");
builder.Services.AddMeshRouting();
builder.Services.AddMeshRoutingPeers(); // storage, signature, registry, audit over gRPC

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapMeshRouting();
app.Run();
