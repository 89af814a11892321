using Mesh.Audit;
using Mesh.ServiceDefaults.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-audit");
builder.Services.AddMeshAudit();

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapMeshAudit();
app.Run();
