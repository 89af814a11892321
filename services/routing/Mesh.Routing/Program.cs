using Mesh.Routing;
using Mesh.ServiceDefaults.Hosting;

// One process per service: IBlobStorage, ISignatureVerifier, IHubSigner, IAgencyDirectory and
// IAuditTrail come from their services' client registrations (the all-in-one hub composes them in-process).
var builder = WebApplication.CreateBuilder(args);
builder.AddMeshDefaults("mesh-routing");
builder.Services.AddMeshRouting();

var app = builder.Build();
app.UseMeshDefaults();
app.MapMeshDefaults();
app.MapMeshRouting();
app.Run();
