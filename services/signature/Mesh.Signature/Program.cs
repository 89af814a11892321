using Mesh.ServiceDefaults.Hosting;
using Mesh.Signature;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-signature");
builder.AddSignature();

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapSignature();
app.Run();
