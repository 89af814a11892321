using Mesh.ServiceDefaults.Hosting;
using Mesh.ServiceDefaults.Peers;
using Mesh.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-storage");
builder.Services.AddMeshStorage(builder.Configuration);
builder.Services.AddMeshRemotePeers(); // caller identity (registry), audit trail

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapMeshStorage();
app.Run();
