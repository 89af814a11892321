using System.Diagnostics;
using System.Text;
using Mesh.Testing;

namespace Mesh.MultiProcess.Tests;

/// <summary>One Mesh service run as its own <c>dotnet</c> process from its build output, configured through environment variables.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly Lock gate = new();

    private ServiceProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    public string Name { get; }

    /// <summary>Pulsed on every line the process writes.</summary>
    public ChangeSignal Output { get; } = new();

    public string Log
    {
        get
        {
            lock (gate)
            {
                return output.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    /// <summary>Starts <c>dotnet services/{folder}/Mesh.{Name}/bin/{configuration}/net10.0/Mesh.{Name}.dll</c>.</summary>
    public static ServiceProcess Start(string service, IDictionary<string, string?> settings, string workingDirectory)
    {
        var dll = ServiceDll(service);
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        Directory.CreateDirectory(workingDirectory);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var result = new ServiceProcess(service, process);
        process.OutputDataReceived += (_, e) => result.Append(e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(e.Data);
        process.Exited += (_, _) => result.Output.Pulse();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Waits until the process has written <paramref name="text"/> (e.g. the host's "Application started").</summary>
    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(Output, () => Log.Contains(text, StringComparison.Ordinal) || ExitedOrFail(text), $"{Name} writes '{text}'", timeout ?? TimeSpan.FromSeconds(90));

    /// <summary>SIGKILL: no shutdown hooks, no flushing, like a node that loses power.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: false);
            process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }

    private bool ExitedOrFail(string text) =>
        process.HasExited ? throw new InvalidOperationException($"{Name} exited (code {process.ExitCode}) before writing '{text}':\n{Log}") : false;

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (gate)
        {
            output.AppendLine(line);
        }

        Output.Pulse();
    }

    private static string ServiceDll(string service)
    {
        // The test runs from tests/Mesh.MultiProcess.Tests/bin/<configuration>/net10.0; each service was built beside its project.
        var binary = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = binary.Name;
        var configuration = binary.Parent!.Name;
        var root = binary;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Directory.Build.props")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root!.FullName, "services", service.ToLowerInvariant(), $"Mesh.{service}", "bin", configuration, framework, $"Mesh.{service}.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build Mesh.{service} first (the test project references it).", path);
    }
}
