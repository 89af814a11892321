using System.CommandLine;
using Google.Rpc;
using Grpc.Core;
using Mesh.Cli.Commands;

namespace Mesh.Cli;

/// <summary>The `mesh` command tree.</summary>
internal static class MeshCli
{
    /// <summary>Parses and runs <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = Build(output, error);
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return await root.Parse(args).InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("mesh: the Mesh e-document exchange hub from the command line");
        foreach (var option in GlobalOptions.All)
        {
            root.Options.Add(option);
        }

        var run = new Runner(output, error);
        root.Subcommands.Add(PkiCommands.Build(run));
        root.Subcommands.Add(AgencyCommands.Build(run));
        foreach (var command in DocumentCommands.Build(run))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(AuditCommands.Build(run));
        root.Subcommands.Add(DemoCommand.Build(run));
        return root;
    }
}

/// <summary>Runs a command's body with one way of reporting failures: a line on stderr and exit code 1.</summary>
internal sealed class Runner(TextWriter output, TextWriter error)
{
    public void Action(Command command, Func<CliContext, ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction((parse, cancellationToken) => RunAsync(parse, body, cancellationToken));

    private async Task<int> RunAsync(ParseResult parse, Func<CliContext, ParseResult, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var context = new CliContext(parse, output);
        try
        {
            return await body(context, parse, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            var reason = ex.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;
            await error.WriteLineAsync($"error: {ex.StatusCode}{(reason is null ? "" : " " + reason)}: {ex.Status.Detail}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception ex) when (ex is CliException or IOException or InvalidDataException or System.Security.Cryptography.CryptographicException or FormatException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
