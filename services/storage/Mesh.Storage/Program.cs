using Mesh.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddGrpc();
builder.Services.AddMeshStorage(builder.Configuration);

var app = builder.Build();
app.MapMeshStorage();
app.Run();
