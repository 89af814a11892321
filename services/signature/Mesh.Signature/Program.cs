using Mesh.ServiceDefaults.Hosting;
using Mesh.Signature;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-signature");
builder.AddSignature();
builder.Services.AddSignaturePeers(); // trust material, bindings and caller identity (registry), audit trail

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapSignature();
app.Run();
