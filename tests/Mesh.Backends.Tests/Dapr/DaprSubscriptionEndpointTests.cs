using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Mesh.Events;
using Mesh.Testing.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Mesh.Backends.Tests.Dapr;

/// <summary>The subscription endpoints driven directly with CloudEvents in the exact shape the Dapr sidecar posts them.</summary>
public sealed class DaprSubscriptionEndpointTests(DaprRuntimeFixture dapr) : IClassFixture<DaprRuntimeFixture>, IAsyncLifetime
{
    private const string Topic = "mesh.test.dapr";
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private readonly string instanceName = "endpoints-" + Guid.NewGuid().ToString("N")[..12];
    private readonly EventProbe probe = new();
    private IHost? host;
    private HttpClient? http;

    private HttpClient Http => http ?? throw new InvalidOperationException("Not started.");

    private string PubSub => "pubsub-" + instanceName;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton(probe);
        builder.Services.AddSingleton(new Subscription(Topic, "group-a", typeof(ScriptedHandler<GroupA>)) { MaxAttempts = 2 });
        builder.Services.AddScoped<ScriptedHandler<GroupA>>();
        builder.Services.AddMeshDaprBackend(dapr.Configuration(instanceName));
        builder.Services.AddSingleton(sp => new DaprAppHost(sp, dapr.Runtime));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DaprAppHost>());
        host = builder.Build();
        await host.StartAsync();
        http = new HttpClient { BaseAddress = host.Services.GetRequiredService<DaprAppHost>().BaseAddress };
    }

    public async Task DisposeAsync()
    {
        http?.Dispose();
        if (host is not null)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    [Fact]
    public async Task DaprSubscribe_OneSubscription_DeclaresPubSubTopicRouteAndDeadLetterTopic()
    {
        var json = JsonNode.Parse(await Http.GetStringAsync(new Uri("dapr/subscribe", UriKind.Relative)), new JsonNodeOptions { PropertyNameCaseInsensitive = true })!.AsArray();

        var entry = json.Should().ContainSingle().Subject!;
        entry["pubsubname"]!.GetValue<string>().Should().Be(PubSub);
        entry["topic"]!.GetValue<string>().Should().Be(Topic);
        (entry["route"] ?? entry["routes"]!["default"])!.GetValue<string>().TrimStart('/').Should().Be("mesh/events/" + Topic);
        entry["deadLetterTopic"]!.GetValue<string>().Should().Be(Topic + ".deadletter");
    }

    [Fact]
    public async Task Post_StructuredCloudEventWithDataBase64_HandlerGetsEventAndDaprGetsSuccess()
    {
        var id = Guid.NewGuid().ToString("N");
        var body = DaprEnvelope(id, Scripts.Ok, data: null, dataBase64: Convert.ToBase64String([0x00, 0xFF, 0x10]), contentType: "application/protobuf");

        var (code, status) = await PostAsync(body);

        code.Should().Be(HttpStatusCode.OK);
        status.Should().Be("SUCCESS");
        var delivered = probe.For(ScriptedHandler<GroupA>.Name).Should().ContainSingle().Subject.Event;
        delivered.Id.Should().Be(id);
        delivered.Topic.Should().Be(Topic);
        delivered.Data.ToArray().Should().Equal(0x00, 0xFF, 0x10);
        delivered.DataContentType.Should().Be("application/protobuf");
        delivered.Subject.Should().Be("000.00.00.G22,2026/11/30,7816/VPCP-TTĐT");
        delivered.TraceParent.Should().Be(TraceParent);
        delivered.TraceState.Should().Be("rojo=00f067aa0ba902b7");
        delivered.Time.Should().Be(new DateTimeOffset(2026, 11, 30, 8, 15, 42, 123, TimeSpan.FromHours(7)));
    }

    [Fact]
    public async Task Post_StructuredCloudEventWithJsonData_HandlerGetsTheJsonBytes()
    {
        var id = Guid.NewGuid().ToString("N");
        var body = DaprEnvelope(id, Scripts.Ok, data: new JsonObject { ["organId"] = "000.00.00.H49" }, dataBase64: null, contentType: "application/json");

        var (_, status) = await PostAsync(body);

        status.Should().Be("SUCCESS");
        var delivered = probe.For(ScriptedHandler<GroupA>.Name).Should().ContainSingle().Subject.Event;
        JsonNode.Parse(delivered.Data.Span)!["organId"]!.GetValue<string>().Should().Be("000.00.00.H49");
    }

    [Fact]
    public async Task Post_StructuredCloudEventWithTextData_HandlerGetsTheText()
    {
        var body = DaprEnvelope(Guid.NewGuid().ToString("N"), Scripts.Ok, data: JsonValue.Create("Trục liên thông"), dataBase64: null, contentType: "text/plain");

        var (_, status) = await PostAsync(body);

        status.Should().Be("SUCCESS");
        Encoding.UTF8.GetString(probe.For(ScriptedHandler<GroupA>.Name)[0].Event.Data.Span).Should().Be("Trục liên thông");
    }

    [Fact]
    public async Task Post_HandlerFails_RetryThenDeadLetterPublishedAndSuccess()
    {
        var id = Guid.NewGuid().ToString("N");
        var body = DaprEnvelope(id, Scripts.FailAlways, data: null, dataBase64: Convert.ToBase64String("poison"u8), contentType: "text/plain");

        var first = await PostAsync(body);
        var second = await PostAsync(body);

        first.Status.Should().Be("RETRY");
        second.Status.Should().Be("SUCCESS", "the last attempt failed, so the event went to the dead-letter topic and Dapr may forget it");
        probe.Count(ScriptedHandler<GroupA>.Name, id).Should().Be(2);
        var deadLetter = dapr.Runtime.Published.Should().ContainSingle(p => p.PubSub == PubSub && p.Topic == Topic + ".deadletter").Subject.Event;
        deadLetter["id"]!.GetValue<string>().Should().Be(id);
        deadLetter["type"]!.GetValue<string>().Should().Be(Scripts.FailAlways);
        Convert.FromBase64String(deadLetter["data_base64"]!.GetValue<string>()).Should().Equal("poison"u8.ToArray());
    }

    [Fact]
    public async Task Post_NotACloudEvent_AnswersDrop()
    {
        var (code, status) = await PostAsync("{\"specversion\":\"1.0\",\"type\":\"no id or source\"}");

        code.Should().Be(HttpStatusCode.OK);
        status.Should().Be("DROP");
        probe.Deliveries.Should().BeEmpty();
    }

    private async Task<(HttpStatusCode Code, string Status)> PostAsync(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("mesh/events/" + Topic, UriKind.Relative)) { Content = content };
        request.Headers.TryAddWithoutValidation("traceparent", TraceParent);
        using var response = await Http.SendAsync(request);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (response.StatusCode, answer["status"]!.GetValue<string>());
    }

    // The envelope as the sidecar posts it: the publisher's attributes plus Dapr's topic, pubsubname and trace attributes.
    private string DaprEnvelope(string id, string type, JsonNode? data, string? dataBase64, string contentType)
    {
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = id,
            ["source"] = "/mesh/routing",
            ["type"] = type,
            ["datacontenttype"] = contentType,
            ["time"] = "2026-11-30T08:15:42.123+07:00",
            ["subject"] = "000.00.00.G22,2026/11/30,7816/VPCP-TTĐT",
            ["topic"] = Topic,
            ["pubsubname"] = PubSub,
            ["traceid"] = TraceParent,
            ["traceparent"] = TraceParent,
            ["tracestate"] = "rojo=00f067aa0ba902b7",
        };
        if (data is not null)
        {
            envelope["data"] = data;
        }

        if (dataBase64 is not null)
        {
            envelope["data_base64"] = dataBase64;
        }

        return envelope.ToJsonString();
    }
}
