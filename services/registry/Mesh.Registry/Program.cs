using Mesh.Registry;
using Mesh.ServiceDefaults.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-registry");
builder.Services.AddMeshRegistry();

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapMeshRegistry();
app.Run();
