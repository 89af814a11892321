using BenchmarkDotNet.Attributes;
using Mesh.Backends.Embedded;
using Mesh.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mesh.Benchmarks;

/// <summary>
/// The embedded bus over its durable outbox, synchronous=FULL: a publish returns once fsynced;
/// a delivery is claimed and acknowledged through the same group commit.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class EmbeddedEventBusBenchmarks
{
    private const int InFlight = 64;
    private const string Topic = "bench.events";
    private readonly byte[] payload = new byte[512];
    private string directory = "";
    private IHost host = null!;
    private IEventBus bus = null!;
    private DeliveryCounter counter = null!;
    private long next;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        directory = Path.Combine(Path.GetTempPath(), "mesh-bench-" + Guid.NewGuid().ToString("N"));
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{EmbeddedOptions.SectionName}:DataDirectory"] = directory })
            .Build();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton<DeliveryCounter>();
        builder.Services.AddMeshSubscription<CountingHandler>(Topic, "bench");
        builder.Services.AddMeshEmbeddedBackend(configuration);
        host = builder.Build();
        await host.StartAsync();
        bus = host.Services.GetRequiredService<IEventBus>();
        counter = host.Services.GetRequiredService<DeliveryCounter>();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await host.StopAsync();
        host.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private CloudEvent NewEvent(string topic) =>
        new(Interlocked.Increment(ref next).ToString(System.Globalization.CultureInfo.InvariantCulture), "/mesh/bench", "mesh.bench", topic, payload)
        {
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };

    /// <summary>One durable publish at a time (nobody subscribes to this topic).</summary>
    [Benchmark]
    public ValueTask Publish() => bus.PublishAsync(NewEvent("bench.unsubscribed"));

    /// <summary>64 publishes in flight, reported per publish.</summary>
    [Benchmark(OperationsPerInvoke = InFlight)]
    public Task ConcurrentPublish64()
    {
        var publishes = new Task[InFlight];
        for (var i = 0; i < InFlight; i++)
        {
            publishes[i] = bus.PublishAsync(NewEvent("bench.unsubscribed")).AsTask();
        }

        return Task.WhenAll(publishes);
    }

    /// <summary>64 events published concurrently and handled by a subscriber, end to end, reported per event.</summary>
    [Benchmark(OperationsPerInvoke = InFlight)]
    public async Task PublishAndDeliver64()
    {
        var delivered = counter.Expect(InFlight);
        var publishes = new Task[InFlight];
        for (var i = 0; i < InFlight; i++)
        {
            publishes[i] = bus.PublishAsync(NewEvent(Topic)).AsTask();
        }

        await Task.WhenAll(publishes);
        await delivered;
    }

    /// <summary>Completes a task once the expected number of deliveries arrived.</summary>
    public sealed class DeliveryCounter
    {
        private int remaining;
        private TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Expect(int count)
        {
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref remaining, count);
            return done.Task;
        }

        public void Delivered()
        {
            if (Interlocked.Decrement(ref remaining) == 0)
            {
                done.TrySetResult();
            }
        }
    }

    /// <summary>Counts deliveries.</summary>
    public sealed class CountingHandler(DeliveryCounter counter) : IEventHandler
    {
        public Task HandleAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
        {
            counter.Delivered();
            return Task.CompletedTask;
        }
    }
}
