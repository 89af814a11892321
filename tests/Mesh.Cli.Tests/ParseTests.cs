namespace Mesh.Cli.Tests;

public sealed class ParseTests
{
    [Fact]
    public async Task Status_WithoutCode_FailsToParseAndNamesTheOption()
    {
        var result = await CliRun.RunAsync("status", "doc-1", "--from", "000.00.00.H49");

        result.ExitCode.Should().NotBe(0);
        result.Error.Should().Contain("--code");
    }

    [Fact]
    public async Task Send_WithoutClientCertificate_ExitsOneAndSaysWhatIsMissing()
    {
        var result = await CliRun.RunAsync("send", "a.pdf", "--from", "000.00.00.G12", "--to", "000.00.00.H49", "--subject", "x", "--cert", "/nonexistent/agency.pfx");

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("/nonexistent/agency.pfx");
    }

    [Theory]
    [InlineData("03", 3)]
    [InlineData("6", 6)]
    [InlineData("accepted", 3)]
    [InlineData("withdraw-requested", 13)]
    public void ParseStatus_KnownCodeOrName_ReturnsTheCode(string text, int expected)
    {
        var code = Commands.Exchange.ParseStatus(text);

        ((int)code).Should().Be(expected);
    }

    [Fact]
    public void ParseStatus_UnknownCode_Throws()
    {
        var act = () => Commands.Exchange.ParseStatus("07");

        act.Should().Throw<CliException>().WithMessage("*not a status code*");
    }
}
