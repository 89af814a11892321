namespace Mesh.IntegrationTests;

/// <summary>One hub for the exchange tests, with agencies A, B, C, D enrolled and E suspended.</summary>
public sealed class HubFixture : IAsyncLifetime
{
    public const string A = "000.00.00.G12";
    public const string B = "000.00.00.H29";
    public const string C = "000.00.00.H41";
    public const string D = "000.00.00.G14";
    public const string Suspended = "000.00.00.H49";
    public const string Unknown = "000.00.00.H98";

    private readonly string directory = Path.Combine(Path.GetTempPath(), "mesh-it-" + Guid.NewGuid().ToString("N"));

    public HubProcess Hub { get; private set; } = null!;

    public AgencyClient ClientA { get; private set; } = null!;

    public AgencyClient ClientB { get; private set; } = null!;

    public AgencyClient ClientC { get; private set; } = null!;

    public AgencyClient ClientD { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await HubProcess.StartAsync(directory);
        ClientA = await ClientAsync(A);
        ClientB = await ClientAsync(B);
        ClientC = await ClientAsync(C);
        ClientD = await ClientAsync(D);
        await Hub.SuspendAsync(Suspended);
    }

    public async Task DisposeAsync()
    {
        foreach (var client in new[] { ClientA, ClientB, ClientC, ClientD })
        {
            client?.Dispose();
        }

        await Hub.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    private async Task<AgencyClient> ClientAsync(string organId)
    {
        var agency = await Hub.EnrolAsync(organId);
        return new AgencyClient(agency, Hub.Channel(agency.ClientCertificate));
    }
}

[CollectionDefinition(Name)]
public sealed class HubCollection : ICollectionFixture<HubFixture>
{
    public const string Name = "hub";
}
