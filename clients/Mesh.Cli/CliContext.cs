using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Mesh.Client;
using Spectre.Console;

namespace Mesh.Cli;

/// <summary>The options every command understands, with their environment fallbacks.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string> Hub = new("--hub")
    {
        Description = "Hub address (env MESH_HUB)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MESH_HUB") is { Length: > 0 } hub ? hub : "https://localhost:7443",
    };

    public static readonly Option<string?> Cert = new("--cert")
    {
        Description = "Client TLS certificate with its key, PKCS#12 (.pfx/.p12) or PEM (env MESH_CERT)",
        Recursive = true,
        DefaultValueFactory = _ => Env("MESH_CERT"),
    };

    public static readonly Option<string?> SigningCert = new("--signing-cert")
    {
        Description = "Document-signing certificate with its key, PKCS#12 or PEM (env MESH_SIGNING_CERT)",
        Recursive = true,
        DefaultValueFactory = _ => Env("MESH_SIGNING_CERT"),
    };

    public static readonly Option<string?> Ca = new("--ca")
    {
        Description = "CA certificate (PEM) the hub's TLS certificate must chain to (env MESH_CA)",
        Recursive = true,
        DefaultValueFactory = _ => Env("MESH_CA"),
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Plain JSON on stdout, for scripts",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Hub, Cert, SigningCert, Ca, Json];

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}

/// <summary>One invocation: parsed global options, where output goes, and how to reach the hub.</summary>
internal sealed class CliContext
{
    private static readonly JsonFormatter ProtoJson = new(JsonFormatter.Settings.Default.WithFormatEnumsAsIntegers(false));
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public CliContext(ParseResult parse, TextWriter output)
        : this(output, parse.GetValue(GlobalOptions.Json), parse.GetValue(GlobalOptions.Hub) ?? "https://localhost:7443")
    {
        CertPath = parse.GetValue(GlobalOptions.Cert);
        SigningCertPath = parse.GetValue(GlobalOptions.SigningCert);
        CaPath = parse.GetValue(GlobalOptions.Ca);
    }

    private CliContext(TextWriter output, bool json, string hub)
    {
        Output = output;
        IsJson = json;
        Hub = hub;
        var terminal = ReferenceEquals(output, System.Console.Out) && !json;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
    }

    /// <summary>The same hub and CA as another identity; human output to <paramref name="output"/>.</summary>
    public CliContext As(string? certPath, string? signingCertPath, TextWriter? output = null) =>
        new(output ?? Output, output is null && IsJson, Hub) { CertPath = certPath, SigningCertPath = signingCertPath, CaPath = CaPath };

    public TextWriter Output { get; }

    public IAnsiConsole Console { get; }

    public bool IsJson { get; }

    public string Hub { get; }

    public string? CertPath { get; set; }

    public string? SigningCertPath { get; set; }

    public string? CaPath { get; set; }

    /// <summary>Connects with the configured certificates.</summary>
    public MeshClient Connect()
    {
        var cert = CertPath ?? throw new CliException("No client certificate: pass --cert or set MESH_CERT.");
        return MeshClient.Connect(new MeshClientOptions
        {
            Address = new Uri(Hub),
            ClientCertificate = CertificateFiles.Load(cert),
            SigningCertificate = SigningCertPath is null ? null : CertificateFiles.Load(SigningCertPath),
            TrustedCa = CaPath is null ? null : CertificateFiles.LoadCertificate(CaPath),
        });
    }

    /// <summary>Writes a JSON document (for --json).</summary>
    public void WriteJson(JsonNode? node) => Output.WriteLine(node?.ToJsonString(Indented) ?? "null");

    /// <summary>A protobuf message as a JSON node (proto3 JSON mapping).</summary>
    public static JsonNode ToJson(IMessage message) => JsonNode.Parse(ProtoJson.Format(message))!;

    /// <summary>Runs <paramref name="work"/> under a progress bar (nothing is drawn for --json).</summary>
    public async Task<T> WithProgressAsync<T>(string label, Func<IProgress<TransferProgress>, Task<T>> work)
    {
        if (IsJson)
        {
            return await work(new InlineProgress<TransferProgress>(_ => { })).ConfigureAwait(false);
        }

        T result = default!;
        await Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(label, maxValue: 1);
                result = await work(new InlineProgress<TransferProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.PackageBytes);
                    task.Value = p.TotalBytes;
                    task.Description = $"{label} {Markup.Escape(p.Attachment)}";
                })).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }

    public static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}

/// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>A failure worth one line to the user, not a stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>Loads certificates with the SDK's loader; the PKCS#12 or PEM-key password comes from MESH_CERT_PASSWORD.</summary>
internal static class CertificateFiles
{
    /// <summary>A certificate with its private key: .pfx/.p12, or PEM holding the certificate and the key.</summary>
    public static X509Certificate2 Load(string path) => MeshCertificates.Load(path, Password);

    /// <summary>A certificate without a key (PEM or DER, or the certificate of a PKCS#12 file).</summary>
    public static X509Certificate2 LoadCertificate(string path) => MeshCertificates.LoadCertificate(path, Password);

    private static string? Password => Environment.GetEnvironmentVariable("MESH_CERT_PASSWORD") is { Length: > 0 } password ? password : null;
}
