using Mesh.Audit;
using Mesh.ServiceDefaults.Hosting;
using Mesh.ServiceDefaults.Peers;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-audit");
builder.Services.AddMeshAudit();
builder.Services.AddMeshRemotePeers(); // caller identity (registry)

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapMeshAudit();
app.Run();
