namespace Mesh.IntegrationTests;

/// <summary>
/// Tests that need a hub of their own (settings or a clock the shared fixture does not have) with
/// agencies A and B enrolled, each with a client over TLS; the data directory is deleted afterwards.
/// </summary>
public abstract class TwoAgencyHubTests(string name, IDictionary<string, string?>? settings = null, TimeProvider? time = null) : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"mesh-{name}-" + Guid.NewGuid().ToString("N"));

    protected HubProcess Hub { get; private set; } = null!;

    protected AgencyClient A { get; private set; } = null!;

    protected AgencyClient B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await HubProcess.StartAsync(directory, settings, time);
        var agencyA = await Hub.EnrolAsync(HubFixture.A);
        var agencyB = await Hub.EnrolAsync(HubFixture.B);
        A = new AgencyClient(agencyA, Hub.Channel(agencyA.ClientCertificate));
        B = new AgencyClient(agencyB, Hub.Channel(agencyB.ClientCertificate));
    }

    public async Task DisposeAsync()
    {
        A.Dispose();
        B.Dispose();
        await Hub.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }
}
