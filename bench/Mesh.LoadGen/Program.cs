using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using HdrHistogram;
using Mesh.Contracts.Routing.V1;
using Mesh.LoadGen;
using Mesh.Pki;
using Mesh.Testing.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Usage: Mesh.LoadGen --hub https://127.0.0.1:7443 --data <hub data dir> [--rate 500] [--duration 20] [--concurrency 32] [--warmup 3]
//        [--hub-pid <pid>: also report the hub's CPU per send] [--no-floor: skip the transport floor]
//        [--signing-key rsa2048|p256: the sender's document-signing key, default rsa2048 (TT 39/2017: RSA >= 2048 bits)]
// --rate 0 runs closed-loop (as fast as the concurrency allows) to find the sustained throughput.
//        Mesh.LoadGen --large <bytes> ...: one large attachment sent and downloaded through a hub (LargeAttachment.cs).
if (args.Contains("--large"))
{
    return await LargeAttachment.RunAsync(args);
}

var options = Options.Parse(args);
string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
using var access = await HubAccess.LoadAsync(options.Data);
var hubCa = access.Ca;

const string Sender = "000.00.00.G12";
string[] recipients = ["000.00.00.H29", "000.00.00.H41", "000.00.00.H49", "000.00.00.H47", "000.00.00.G14", "000.00.00.G09", "000.00.00.G18", "000.00.00.H14"];

// Enrol the sender with fresh certificates issued by the hub's development CA, through the registry API as the admin.
var (clientCert, enrolledSigner) = await access.EnrolAsync(new Uri(options.Hub), Sender, signing: true, options.SigningKey);
var signingCert = enrolledSigner!;

// Everything a send needs is made before the clock starts: the client should cost the 2 shared cores as little as possible.
var total = (int)((options.Warmup + options.Duration) * (options.Rate == 0 ? 1_500 : options.Rate * 1.1)) + (options.Concurrency * 2);
Console.WriteLine($"preparing {total} packages (20 KB signed PDF + 20 KB attachment, two recipients each; {options.SigningKey} signing key) ...");
var pdfPool = Enumerable.Range(0, 64).Select(i => SignedPdf.Create(signingCert, 20 * 1024, $"LoadGen document {i}")).ToArray();
var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh")).DateTime);
var notation = "LG" + Convert.ToHexString(RandomNumberGenerator.GetBytes(3));
var requests = new SendDocumentRequest[total][];
Parallel.For(0, total, i =>
{
    var attachment = RandomNumberGenerator.GetBytes(20 * 1024);
    List<OutgoingAttachment> parts = [new("van-ban.pdf", pdfPool[i % pdfPool.Length], AttachmentRole.MainDocument), new("phu-luc.bin", attachment)];
    var to = new[] { recipients[i % recipients.Length], recipients[(i + 1 + (i / recipients.Length % (recipients.Length - 1))) % recipients.Length] };
    var manifest = ManifestFactory.Create(Sender, to, parts, date, (i + 1).ToString(CultureInfo.InvariantCulture), notation);
    var bytes = manifest.ToByteArray();
    var header = new SendDocumentHeader { RequestId = $"{notation}-{i}", Manifest = ByteString.CopyFrom(bytes), ManifestSignature = ByteString.CopyFrom(SignedPdf.SignDetached(bytes, signingCert)) };
    requests[i] = [new SendDocumentRequest { Header = header }, .. ManifestFactory.Chunks(parts, 1024 * 1024).Select(c => new SendDocumentRequest { Chunk = c })];
});
var payloadBytes = (int)requests[0].Sum(r => r.CalculateSize());
options.MaxOperations = total;

using var hubChannel = HubAccess.Channel(new Uri(options.Hub), clientCert, hubCa, options.Concurrency);
var routing = new RoutingService.RoutingServiceClient(hubChannel);
var next = -1;
var finished = 0L;
async Task SendOne(int index)
{
    using var call = routing.SendDocument();
    foreach (var message in requests[index])
    {
        await call.RequestStream.WriteAsync(message);
    }

    await call.RequestStream.CompleteAsync();
    await call.ResponseAsync;
    Interlocked.Increment(ref finished);
}

// --hub-pid: the hub's CPU time per completed send after the warm-up, the number the send-path work is
// judged by when hub and load generator share a machine. The warm-up must cover the hub's tiered JIT:
// its tier-1 recompilation took ~9 s of CPU in the first half minute of load.
using var hubProcess = Get("--hub-pid") is { } pid ? Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture)) : null;
(TimeSpan Cpu, TimeSpan Own, long Sends)? afterWarmup = null;
var sampler = hubProcess is null ? Task.CompletedTask : Task.Run(async () =>
{
    await Task.Delay(TimeSpan.FromSeconds(options.Warmup));
    hubProcess.Refresh();
    afterWarmup = (hubProcess.TotalProcessorTime, Process.GetCurrentProcess().TotalProcessorTime, Interlocked.Read(ref finished));
});
var send = await Runner.RunAsync("send", options, () => SendOne(Interlocked.Increment(ref next)));
Console.WriteLine(send.Describe());
await sampler;
if (hubProcess is not null && afterWarmup is { } start)
{
    hubProcess.Refresh();
    var cpu = hubProcess.TotalProcessorTime - start.Cpu;
    var own = Process.GetCurrentProcess().TotalProcessorTime - start.Own;
    var sends = Interlocked.Read(ref finished) - start.Sends;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hub CPU after warm-up {cpu.TotalSeconds:F1} s over {sends} sends = {cpu.TotalMilliseconds / Math.Max(1, sends):F2} ms per send (load generator: {own.TotalMilliseconds / Math.Max(1, sends):F2} ms per send)"));
}

if (args.Contains("--no-floor"))
{
    return send.Errors == 0 ? 0 : 1;
}

// The transport floor: a unary call carrying the same bytes to an echo hosted here, over TLS on loopback.
await using var echo = await EchoServer.StartAsync();
using var echoChannel = HubAccess.Channel(echo.Address, null, echo.Certificate, options.Concurrency);
var payload = RandomNumberGenerator.GetBytes(payloadBytes);
var floor = await Runner.RunAsync("floor", options, () => echoChannel.CreateCallInvoker().AsyncUnaryCall(EchoServer.Method, null, new CallOptions(), payload).ResponseAsync);

Console.WriteLine();
Console.WriteLine($"payload per send: {payloadBytes} bytes; concurrency {options.Concurrency}; offered {(options.Rate == 0 ? "closed loop" : options.Rate.ToString(CultureInfo.InvariantCulture) + "/s")}; duration {options.Duration}s after {options.Warmup}s warm-up");
Console.WriteLine(send.Describe());
Console.WriteLine(floor.Describe());
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio send/floor: throughput {send.Throughput / floor.Throughput:F3}, p50 {send.P50 / floor.P50:F1}x, p99 {send.P99 / floor.P99:F1}x"));
return send.Errors == 0 ? 0 : 1;

internal sealed record Options(string Hub, string Data, int Rate, int Duration, int Concurrency, int Warmup, LeafKeyAlgorithm SigningKey)
{
    public long MaxOperations { get; set; } = long.MaxValue;

    public static Options Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        return new Options(
            Get("--hub", "https://127.0.0.1:7443"),
            Get("--data", ".mesh-data"),
            int.Parse(Get("--rate", "500"), CultureInfo.InvariantCulture),
            int.Parse(Get("--duration", "20"), CultureInfo.InvariantCulture),
            int.Parse(Get("--concurrency", "32"), CultureInfo.InvariantCulture),
            int.Parse(Get("--warmup", "3"), CultureInfo.InvariantCulture),
            Get("--signing-key", "rsa2048") switch
            {
                "rsa2048" => LeafKeyAlgorithm.Rsa2048,
                "p256" => LeafKeyAlgorithm.EcdsaP256,
                var other => throw new ArgumentException($"--signing-key {other}: use rsa2048 or p256"),
            });
    }
}

internal sealed record RunResult(string Name, long Completed, long Errors, double Seconds, double P50, double P90, double P99, double Max)
{
    public double Throughput => Completed / Seconds;

    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Name,-6} completed {Completed} in {Seconds:F1}s = {Throughput:F0}/s, errors {Errors}; latency ms p50 {P50:F2} p90 {P90:F2} p99 {P99:F2} max {Max:F2}");
}

internal static class Runner
{
    // Latencies are recorded in microseconds up to 10 minutes; an overloaded run saturates there instead of failing.
    private const long MaxMicroseconds = 600_000_000;

    /// <summary>
    /// Runs <paramref name="operation"/> at the offered rate with a bounded number in flight; latency is
    /// measured from each operation's intended start, so a stalled server is not hidden (no coordinated omission).
    /// </summary>
    public static async Task<RunResult> RunAsync(string name, Options options, Func<Task> operation)
    {
        var histogram = new LongHistogram(MaxMicroseconds, 3);
        var gate = new Lock();
        long completed = 0, errors = 0, issued = 0;
        var clock = Stopwatch.StartNew();
        var warmup = TimeSpan.FromSeconds(options.Warmup);
        var end = warmup + TimeSpan.FromSeconds(options.Duration);
        var interval = options.Rate == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(1.0 / options.Rate);
        string? firstError = null;

        async Task Worker()
        {
            while (true)
            {
                var index = Interlocked.Increment(ref issued) - 1;
                var intended = options.Rate == 0 ? clock.Elapsed : interval * index;
                if (intended >= end || index >= options.MaxOperations)
                {
                    return;
                }

                var wait = intended - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var start = options.Rate == 0 ? clock.Elapsed : intended;
                try
                {
                    await operation();
                    var done = clock.Elapsed;
                    if (start >= warmup)
                    {
                        Interlocked.Increment(ref completed);
                        lock (gate)
                        {
                            histogram.RecordValue(Math.Clamp((done - start).Ticks / 10, 0, MaxMicroseconds));
                        }
                    }
                }
                catch (RpcException e)
                {
                    if (start >= warmup)
                    {
                        Interlocked.Increment(ref errors);
                    }

                    firstError ??= $"{e.StatusCode}: {e.Status.Detail}";
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(Worker)));
        var seconds = Math.Min(clock.Elapsed.TotalSeconds, end.TotalSeconds) - warmup.TotalSeconds;
        if (firstError is not null)
        {
            Console.WriteLine($"{name}: first error {firstError}");
        }

        double Ms(double percentile) => histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) / 1000.0;
        return new RunResult(name, completed, errors, Math.Max(seconds, clock.Elapsed.TotalSeconds - warmup.TotalSeconds), Ms(50), Ms(90), Ms(99), histogram.TotalCount == 0 ? double.NaN : histogram.GetMaxValue() / 1000.0);
    }
}

/// <summary>
/// A bare gRPC unary echo (one method, raw bytes) on Kestrel with TLS on loopback: the cost of
/// the transport alone, to compare the send path with. The request body is already a framed gRPC
/// message, so echoing it back with grpc-status 0 is a complete gRPC response.
/// </summary>
internal sealed class EchoServer : IAsyncDisposable
{
    public static readonly Method<byte[], byte[]> Method = new(MethodType.Unary, "mesh.bench.Echo", "Call", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

    private readonly WebApplication app;

    private EchoServer(WebApplication app, Uri address, X509Certificate2 certificate)
    {
        this.app = app;
        Address = address;
        Certificate = certificate;
    }

    public Uri Address { get; }

    public X509Certificate2 Certificate { get; }

    public static async Task<EchoServer> StartAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.Http2.MaxStreamsPerConnection = 1000;
            k.Listen(IPAddress.Loopback, 0, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.UseHttps(certificate);
            });
        });
        var app = builder.Build();
        app.MapPost("/mesh.bench.Echo/Call", async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "0");
            await context.Response.Body.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EchoServer(app, new Uri($"https://127.0.0.1:{new Uri(address).Port}"), certificate);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
