namespace Mesh.Cli.Tests;

[Collection(HubCollection.Name)]
public sealed class HubCommandTests(HubFixture hub)
{
    [Fact]
    public async Task AgencyList_Json_ListsTheOperatorCreatedAtFirstRun()
    {
        var result = await CliRun.RunAsync(["agency", "list", "--json", .. hub.AsAdmin]);

        result.ExitCode.Should().Be(0, result.Error);
        result.Json["agencies"]!.AsArray().Select(a => (string)a!["organId"]!).Should().Contain("000.00.00.G22");
    }

    [Fact]
    public async Task AgencyRegister_NewOrganId_IsThenReturnedByGet()
    {
        var register = await CliRun.RunAsync(["agency", "register", "000.00.00.H98", "--name", "Đơn vị thử nghiệm CLI", "--json", .. hub.AsAdmin]);

        var get = await CliRun.RunAsync(["agency", "get", "000.00.00.H98", "--json", .. hub.AsAdmin]);

        register.ExitCode.Should().Be(0, register.Error);
        get.ExitCode.Should().Be(0, get.Error);
        ((string)get.Json["agency"]!["displayName"]!).Should().Be("Đơn vị thử nghiệm CLI");
    }

    [Fact]
    public async Task Demo_AgainstRunningHub_CompletesTheExchangeWithVerifiedReceiptAndProof()
    {
        var work = Path.Combine(hub.DataDirectory, "demo");

        var result = await CliRun.RunAsync("demo", "--json", "--hub", hub.Address, "--data", hub.DataDirectory, "--out", work);

        result.ExitCode.Should().Be(0, result.Error);
        var json = result.Json;
        ((bool)json["receiptSignatureVerified"]!).Should().BeTrue();
        ((bool)json["audit"]!["verified"]!).Should().BeTrue();
        ((long)json["audit"]!["leafIndex"]!).Should().BeGreaterThanOrEqualTo(0);
        json["statusesSeenBySender"]!.AsArray().Select(s => (int)s!).Should().Equal(3, 6);
        ((string)json["deliveryState"]!).Should().Be("Done");
        json["downloaded"]!.AsArray().Select(f => File.Exists((string)f!)).Should().AllSatisfy(exists => exists.Should().BeTrue());
    }
}
