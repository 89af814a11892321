using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Backends.Tests.Dapr;

/// <summary>
/// A contract double of the Dapr sidecar: the subset of <c>dapr.proto.runtime.v1.Dapr</c> Mesh calls, served
/// over real gRPC on loopback from <see cref="Method{TRequest,TResponse}"/> descriptors built on the
/// Dapr.Protos message types (the package has no server base class), with Dapr's documented semantics:
/// ETag mismatch is ABORTED, first-write concurrency without an ETag inserts only, transactions apply all
/// or nothing; published events are delivered to the app's subscriptions, discovered with
/// <c>GET /dapr/subscribe</c>, as structured CloudEvents over HTTP POST, with SUCCESS / RETRY / DROP honoured
/// and redeliveries sent to the dead-letter topic when exhausted.
/// </summary>
public sealed class DaprRuntimeDouble : IAsyncDisposable
{
    private const string ServiceName = "dapr.proto.runtime.v1.Dapr";
    private const int Workers = 4;

    private readonly object gate = new();
    private readonly Dictionary<string, (ByteString Data, string ETag)> state = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string PubSub, string Topic), Channel<Message>> topics = new();
    private readonly List<AttachedApp> apps = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> workers = [];
    private TaskCompletionSource appsChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long etags;
    private WebApplication? server;

    /// <summary>Redeliveries after which an event goes to the subscription's dead-letter topic (a resiliency policy's max retries).</summary>
    public int MaxRedeliveries { get; init; } = 50;

    /// <summary>Constant redelivery interval.</summary>
    public TimeSpan RedeliveryInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The endpoint to give <c>DaprClientBuilder.UseGrpcEndpoint</c>.</summary>
    public string GrpcEndpoint { get; private set; } = string.Empty;

    /// <summary>Every PublishEvent call, as the published CloudEvent JSON plus its pub/sub and topic.</summary>
    public ConcurrentQueue<(string PubSub, string Topic, JsonObject Event)> Published { get; } = new();

    /// <summary>Every answer the app gave to a delivery: (topic, HTTP status, Dapr status).</summary>
    public ConcurrentQueue<(string Topic, HttpStatusCode Code, string Status)> Answers { get; } = new();

    public static async Task<DaprRuntimeDouble> StartAsync()
    {
        var runtime = new DaprRuntimeDouble();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = 64 * 1024 * 1024;
            o.MaxSendMessageSize = 64 * 1024 * 1024;
        });
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton<IServiceMethodProvider<DaprRuntimeDouble>, MethodProvider>();
        runtime.server = builder.Build();
        runtime.server.MapGrpcService<DaprRuntimeDouble>();
        await runtime.server.StartAsync();
        runtime.GrpcEndpoint = runtime.server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return runtime;
    }

    /// <summary>What the sidecar does when its app is up: reads the app's subscriptions and starts delivering.</summary>
    public async Task<IAsyncDisposable> AttachAppAsync(Uri baseAddress, CancellationToken cancellationToken)
    {
        var http = new HttpClient { BaseAddress = baseAddress };
        var subscriptions = new List<AppSubscription>();
        // The sidecar reads this with Go's encoding/json, which matches field names case-insensitively
        // ("pubsubname" in Dapr's docs, "pubsubName" from the .NET SDK).
        var json = JsonNode.Parse(
            await http.GetStringAsync(new Uri("dapr/subscribe", UriKind.Relative), cancellationToken),
            new JsonNodeOptions { PropertyNameCaseInsensitive = true })!.AsArray();
        foreach (var entry in json)
        {
            var route = entry!["route"]?.GetValue<string>() ?? entry["routes"]?["default"]?.GetValue<string>()
                ?? throw new InvalidOperationException("A subscription has no route: " + entry.ToJsonString());
            subscriptions.Add(new AppSubscription(entry["pubsubname"]!.GetValue<string>(), entry["topic"]!.GetValue<string>(), route, entry["deadLetterTopic"]?.GetValue<string>()));
        }

        var app = new AttachedApp(http, subscriptions);
        lock (gate)
        {
            apps.Add(app);
        }

        PulseApps();
        return new Detach(this, app);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await Task.WhenAll(workers);
        if (server is not null)
        {
            await server.StopAsync();
            await server.DisposeAsync();
        }

        stopping.Dispose();
    }

    private void PulseApps() =>
        Interlocked.Exchange(ref appsChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private static string StateKey(string store, string key) => store + "||" + key;

    private static RpcException ETagMismatch(string key) =>
        new(new Status(StatusCode.Aborted, $"failed saving state in state store: possible etag mismatch. error from state store: ETag mismatch for key {key}"));

    private Task<GetStateResponse> GetState(GetStateRequest request, ServerCallContext context)
    {
        lock (gate)
        {
            return Task.FromResult(state.TryGetValue(StateKey(request.StoreName, request.Key), out var value)
                ? new GetStateResponse { Data = value.Data, Etag = value.ETag }
                : new GetStateResponse());
        }
    }

    private Task<GetBulkStateResponse> GetBulkState(GetBulkStateRequest request, ServerCallContext context)
    {
        var response = new GetBulkStateResponse();
        lock (gate)
        {
            foreach (var key in request.Keys)
            {
                response.Items.Add(state.TryGetValue(StateKey(request.StoreName, key), out var value)
                    ? new BulkStateItem { Key = key, Data = value.Data, Etag = value.ETag }
                    : new BulkStateItem { Key = key });
            }
        }

        return Task.FromResult(response);
    }

    private Task<Empty> SaveState(SaveStateRequest request, ServerCallContext context)
    {
        lock (gate)
        {
            foreach (var item in request.States)
            {
                CheckWrite(request.StoreName, item, isDelete: false, state);
                state[StateKey(request.StoreName, item.Key)] = (item.Value, NextETag());
            }
        }

        return Task.FromResult(new Empty());
    }

    private Task<Empty> DeleteState(DeleteStateRequest request, ServerCallContext context)
    {
        lock (gate)
        {
            CheckWrite(request.StoreName, new global::Dapr.Client.Autogen.Grpc.v1.StateItem { Key = request.Key, Etag = request.Etag, Options = request.Options }, isDelete: true, state);
            state.Remove(StateKey(request.StoreName, request.Key));
        }

        return Task.FromResult(new Empty());
    }

    private Task<Empty> ExecuteStateTransaction(ExecuteStateTransactionRequest request, ServerCallContext context)
    {
        lock (gate)
        {
            // Checked in order against a scratch copy, so later operations see earlier ones; committed only if all pass.
            var scratch = new Dictionary<string, (ByteString Data, string ETag)>(state, StringComparer.Ordinal);
            foreach (var operation in request.Operations)
            {
                var isDelete = operation.OperationType switch
                {
                    "upsert" => false,
                    "delete" => true,
                    _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"unsupported operation type {operation.OperationType}")),
                };
                CheckWrite(request.StoreName, operation.Request, isDelete, scratch);
                var key = StateKey(request.StoreName, operation.Request.Key);
                if (isDelete)
                {
                    scratch.Remove(key);
                }
                else
                {
                    scratch[key] = (operation.Request.Value, NextETag());
                }
            }

            state.Clear();
            foreach (var (key, value) in scratch)
            {
                state[key] = value;
            }
        }

        return Task.FromResult(new Empty());
    }

    private Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
    {
        JsonObject cloudEvent;
        if (request.DataContentType == "application/cloudevents+json")
        {
            // A publisher's own CloudEvent is used as-is; Dapr only adds its routing attributes.
            cloudEvent = JsonNode.Parse(request.Data.ToByteArray())?.AsObject()
                ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the CloudEvent is not a JSON object"));
        }
        else
        {
            cloudEvent = new JsonObject
            {
                ["specversion"] = "1.0",
                ["id"] = Guid.NewGuid().ToString(),
                ["source"] = "mesh-test-app",
                ["type"] = "com.dapr.event.sent",
                ["datacontenttype"] = string.IsNullOrEmpty(request.DataContentType) ? "application/json" : request.DataContentType,
            };
            if (cloudEvent["datacontenttype"]!.GetValue<string>().Contains("json", StringComparison.Ordinal))
            {
                cloudEvent["data"] = JsonNode.Parse(request.Data.ToByteArray());
            }
            else
            {
                cloudEvent["data_base64"] = request.Data.ToBase64();
            }
        }

        cloudEvent["topic"] = request.Topic;
        cloudEvent["pubsubname"] = request.PubsubName;
        if (context.RequestHeaders.GetValue("traceparent") is { } traceParent && cloudEvent["traceparent"] is null)
        {
            cloudEvent["traceparent"] = traceParent;
        }

        Published.Enqueue((request.PubsubName, request.Topic, cloudEvent));
        Queue(request.PubsubName, request.Topic).Writer.TryWrite(new Message(request.PubsubName, request.Topic, cloudEvent.ToJsonString(), 0));
        return Task.FromResult(new Empty());
    }

    private void CheckWrite(string store, global::Dapr.Client.Autogen.Grpc.v1.StateItem item, bool isDelete, Dictionary<string, (ByteString Data, string ETag)> view)
    {
        var exists = view.TryGetValue(StateKey(store, item.Key), out var current);
        if (item.Etag is { Value.Length: > 0 } etag)
        {
            if (!exists || current.ETag != etag.Value)
            {
                throw ETagMismatch(item.Key);
            }
        }
        else if (!isDelete && exists && item.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite)
        {
            throw ETagMismatch(item.Key);
        }
    }

    private string NextETag() => Interlocked.Increment(ref etags).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private Channel<Message> Queue(string pubSub, string topic) => topics.GetOrAdd((pubSub, topic), key =>
    {
        var channel = Channel.CreateUnbounded<Message>();
        lock (gate)
        {
            for (var i = 0; i < Workers; i++)
            {
                workers.Add(Task.Run(() => DeliverLoopAsync(channel, stopping.Token)));
            }
        }

        return channel;
    });

    private async Task DeliverLoopAsync(Channel<Message> channel, CancellationToken cancellationToken)
    {
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken))
            {
                if (!channel.Reader.TryRead(out var message))
                {
                    continue;
                }

                var (app, subscription) = await WaitForSubscriberAsync(message.PubSub, message.Topic, cancellationToken);
                string outcome;
                try
                {
                    outcome = await PostAsync(app, subscription, message, cancellationToken);
                }
                catch (HttpRequestException)
                {
                    outcome = "RETRY";
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    outcome = "RETRY";
                }
                catch (ObjectDisposedException)
                {
                    outcome = "RETRY";
                }

                if (outcome != "RETRY")
                {
                    continue;
                }

                if (message.Redeliveries >= MaxRedeliveries)
                {
                    if (subscription.DeadLetterTopic is { } deadLetterTopic)
                    {
                        var dead = JsonNode.Parse(message.Body)!.AsObject();
                        dead["topic"] = deadLetterTopic;
                        Queue(message.PubSub, deadLetterTopic).Writer.TryWrite(new Message(message.PubSub, deadLetterTopic, dead.ToJsonString(), 0));
                    }

                    continue;
                }

                _ = RedeliverLaterAsync(channel, message with { Redeliveries = message.Redeliveries + 1 }, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RedeliverLaterAsync(Channel<Message> channel, Message message, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(RedeliveryInterval, cancellationToken);
            channel.Writer.TryWrite(message);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<string> PostAsync(AttachedApp app, AppSubscription subscription, Message message, CancellationToken cancellationToken)
    {
        using var content = new StringContent(message.Body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(subscription.Route.TrimStart('/'), UriKind.Relative)) { Content = content };
        if (JsonNode.Parse(message.Body)?["traceparent"]?.GetValue<string>() is { } traceParent)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        }

        using var response = await app.Http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        // Dapr's HTTP subscriber contract: 2xx with status SUCCESS (or no status) acknowledges, RETRY redelivers,
        // DROP discards; 404 is logged and dropped; any other status is an error and redelivered.
        var status = response.IsSuccessStatusCode
            ? (string.IsNullOrWhiteSpace(body) ? "SUCCESS" : JsonNode.Parse(body)?["status"]?.GetValue<string>()?.ToUpperInvariant() ?? "SUCCESS")
            : response.StatusCode == HttpStatusCode.NotFound ? "DROP" : "RETRY";
        Answers.Enqueue((message.Topic, response.StatusCode, status));
        return status is "SUCCESS" or "DROP" ? status : "RETRY";
    }

    private async Task<(AttachedApp App, AppSubscription Subscription)> WaitForSubscriberAsync(string pubSub, string topic, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Volatile.Read(ref appsChanged).Task;
            lock (gate)
            {
                foreach (var app in apps)
                {
                    if (app.Subscriptions.FirstOrDefault(s => s.PubSub == pubSub && s.Topic == topic) is { } subscription)
                    {
                        return (app, subscription);
                    }
                }
            }

            // Held until an app subscribes, like a durable broker keeping the stream for the consumer group.
            await changed.WaitAsync(cancellationToken);
        }
    }

    private sealed record Message(string PubSub, string Topic, string Body, int Redeliveries);

    private sealed record AppSubscription(string PubSub, string Topic, string Route, string? DeadLetterTopic);

    private sealed record AttachedApp(HttpClient Http, IReadOnlyList<AppSubscription> Subscriptions);

    private sealed class Detach(DaprRuntimeDouble runtime, AttachedApp app) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            lock (runtime.gate)
            {
                runtime.apps.Remove(app);
            }

            runtime.PulseApps();
            app.Http.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class MethodProvider : IServiceMethodProvider<DaprRuntimeDouble>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<DaprRuntimeDouble> context)
        {
            Add(context, "GetState", GetStateRequest.Parser, GetStateResponse.Parser, (s, r, c) => s.GetState(r, c));
            Add(context, "GetBulkState", GetBulkStateRequest.Parser, GetBulkStateResponse.Parser, (s, r, c) => s.GetBulkState(r, c));
            Add(context, "SaveState", SaveStateRequest.Parser, Empty.Parser, (s, r, c) => s.SaveState(r, c));
            Add(context, "DeleteState", DeleteStateRequest.Parser, Empty.Parser, (s, r, c) => s.DeleteState(r, c));
            Add(context, "ExecuteStateTransaction", ExecuteStateTransactionRequest.Parser, Empty.Parser, (s, r, c) => s.ExecuteStateTransaction(r, c));
            Add(context, "PublishEvent", PublishEventRequest.Parser, Empty.Parser, (s, r, c) => s.PublishEvent(r, c));
        }

        private static void Add<TRequest, TResponse>(
            ServiceMethodProviderContext<DaprRuntimeDouble> context,
            string name,
            MessageParser<TRequest> requestParser,
            MessageParser<TResponse> responseParser,
            UnaryServerMethod<DaprRuntimeDouble, TRequest, TResponse> invoker)
            where TRequest : class, IMessage<TRequest>
            where TResponse : class, IMessage<TResponse>
        {
            var method = new Method<TRequest, TResponse>(
                MethodType.Unary,
                ServiceName,
                name,
                Marshallers.Create(m => m.ToByteArray(), requestParser.ParseFrom),
                Marshallers.Create(m => m.ToByteArray(), responseParser.ParseFrom));
            context.AddUnaryMethod(method, [], invoker);
        }
    }
}
