using Mesh.ServiceDefaults.Hosting;
using Mesh.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-storage");
builder.Services.AddMeshStorage(builder.Configuration);

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapMeshStorage();
app.Run();
