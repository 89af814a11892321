using System.Diagnostics;
using System.Globalization;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Mesh.MultiProcess.Tests;

/// <summary>
/// One send must give one trace across the services' gRPC hops and the pub/sub hop to delivery, with the
/// W3C trace context carried in gRPC headers and in the CloudEvent (traceparent) through Redis Streams.
/// The five services run as separate hosts in this process (see <see cref="InProcessMesh"/>): each has its
/// own Kestrel port, TLS and peer channels, so every hop is a real gRPC call over a loopback socket and a
/// server span is parented only through the headers that crossed it.
/// </summary>
/// <remarks>
/// ActivitySources and the ASP.NET Core / Grpc.Net.Client listeners are process-wide, so the routing
/// host's tracer provider (the same AddMeshTelemetry configuration every service runs, plus an in-memory
/// exporter) records the spans of all five hosts; a server span is attributed to a service by the port it
/// was served on.
/// </remarks>
public sealed class TraceContinuityTests : IAsyncLifetime
{
    private const string A = "000.00.00.G12";
    private const string B = "000.00.00.H29";
    private const string DeliveryConsumer = "routing.delivery.created process";

    private readonly SpanRecorder spans = new();
    private InProcessMesh mesh = null!;
    private Agency sender = null!;
    private Agency recipient = null!;

    public async Task InitializeAsync()
    {
        mesh = await InProcessMesh.StartAsync((service, builder) =>
        {
            if (service == "Routing")
            {
                builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            }
        });
        try
        {
            var agencies = await mesh.Layout.EnrolAsync(A, B);
            sender = new Agency(agencies[0], mesh.Layout.Channel("Routing", agencies[0].ClientCertificate));
            recipient = new Agency(agencies[1], mesh.Layout.Channel("Routing", agencies[1].ClientCertificate));
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        sender?.Dispose();
        recipient?.Dispose();
        await mesh.DisposeAsync();
    }

    [Fact]
    public async Task Send_FirstOfTheAgency_OneTraceFromRoutingThroughRegistrySignatureStorageAuditToTheDeliveryEvent()
    {
        var send = sender.Prepare(B);
        var started = DateTime.UtcNow;

        // The agency's first call to routing: its certificate is not in routing's registry cache yet, so the
        // caller lookup is a registry call inside this send.
        var receipt = (await sender.SendAsync(send)).Receipt;
        await Eventually.UntilAsync(
            spans.Changed,
            () => spans.Snapshot().Any(s => s.DisplayName == DeliveryConsumer) && spans.Snapshot().Any(s => IsServed(s, "Routing", "/mesh.routing.v1.RoutingService/SendDocument")),
            "the send's server span and the delivery event's consumer span are exported");
        var recorded = spans.Snapshot();
        var inbox = await recipient.InboxAsync();

        var sendSpan = recorded.Should().ContainSingle(s => IsServed(s, "Routing", "/mesh.routing.v1.RoutingService/SendDocument"), Dump(recorded)).Subject;
        var trace = recorded.Where(s => s.TraceId == sendSpan.TraceId).ToList();
        var because = "the send's trace must contain it; trace " + sendSpan.TraceId + ":" + Dump(trace) + "\nall spans:" + Dump(recorded);
        trace.Should().Contain(s => IsServed(s, "Registry", "/mesh.registry.v1.RegistryService/ResolveCertificate"), because);
        trace.Should().Contain(s => IsServed(s, "Signature", "/mesh.signature.v1.SignatureService/Verify"), because);
        trace.Should().Contain(s => IsServed(s, "Storage", "/mesh.storage.v1.StorageService/PutBlob"), because);
        trace.Should().Contain(s => IsServed(s, "Audit", "/mesh.audit.v1.AuditService/Append"), because);
        var consumer = trace.Should().ContainSingle(s => s.DisplayName == DeliveryConsumer, because).Subject;
        consumer.Kind.Should().Be(ActivityKind.Consumer);
        consumer.GetTagItem("messaging.message.id").Should().Be($"routing.delivery.created:{receipt.DocumentId}/{B}");
        trace.Where(s => s.ParentSpanId != default).Should().OnlyContain(s => trace.Any(p => p.SpanId == s.ParentSpanId), "every span hangs off a recorded span of the same trace (no hop starts a detached subtree):" + Dump(trace));
        trace.Should().ContainSingle(s => s.ParentSpanId == default, "one root: the agency's call");
        recorded.Where(s => s.Kind == ActivityKind.Server && s.StartTimeUtc >= started && s.TraceId != sendSpan.TraceId)
            .Should().BeEmpty("every call the services served during the send belongs to the send's trace:" + Dump(recorded));
        inbox.Should().Contain(i => i.Document != null && i.Document.DocumentId == receipt.DocumentId, "the event was delivered");
    }

    private bool IsServed(Activity span, string service, string path) =>
        span.Kind == ActivityKind.Server
        && Equals(span.GetTagItem("url.path"), path)
        && Convert.ToInt32(span.GetTagItem("server.port"), CultureInfo.InvariantCulture) == mesh.Layout.Ports[service];

    private static string Dump(IEnumerable<Activity> spans) => SpanRecorder.Describe(spans);
}
