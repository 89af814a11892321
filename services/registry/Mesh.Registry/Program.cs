using Mesh.Registry;
using Mesh.ServiceDefaults.Hosting;
using Mesh.ServiceDefaults.Peers;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-registry");
builder.Services.AddMeshRegistry();
builder.Services.AddMeshRemotePeers(); // audit trail

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapMeshRegistry();
app.Run();
