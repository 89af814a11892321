using System.Text.Json.Nodes;

namespace Mesh.Cli.Tests;

/// <summary>One in-process run of `mesh`: exit code, stdout, stderr.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public JsonNode Json => JsonNode.Parse(Output) ?? throw new InvalidOperationException("No JSON on stdout: " + Output + Error);
}

internal static class CliRun
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MeshCli.RunAsync(args, output, error);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}
