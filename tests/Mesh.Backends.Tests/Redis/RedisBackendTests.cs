using System.Globalization;
using System.Text;
using FluentAssertions;
using Mesh.Backends.Redis;
using Mesh.Events;
using Mesh.State;
using Mesh.Testing.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using Xunit;

namespace Mesh.Backends.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisBackendTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "mesh.test.redis";
    private readonly string instanceName = "redis-" + Guid.NewGuid().ToString("N")[..12];
    private readonly EventProbe probe = new();
    private readonly List<IHost> hosts = [];

    private RedisKeys Keys => new(redis.Options(instanceName).KeyPrefix);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }

        await redis.DeleteInstanceAsync(instanceName);
    }

    [Fact]
    public async Task Dispatcher_EntryPendingWithDeadConsumer_ReclaimedAfterVisibilityTimeout()
    {
        var stream = Keys.Stream(Topic);
        await redis.Database.StreamCreateConsumerGroupAsync(stream, "group-a", StreamPosition.Beginning, createStream: true);
        var orphan = NewEvent(Scripts.Ok);
        await using (var connection = new RedisConnection(redis.Options(instanceName)))
        {
            await new RedisEventBus(connection, redis.Options(instanceName)).PublishAsync(orphan);
        }

        // A consumer reads the entry and dies before acknowledging it.
        var taken = await redis.Database.StreamReadGroupAsync(stream, "group-a", "dead-consumer", StreamPosition.NewMessages, 10);
        taken.Should().ContainSingle();

        await StartHostAsync(
            new Dictionary<string, string?> { ["VisibilityTimeout"] = "00:00:00.300", ["ReclaimInterval"] = "00:00:00.100" },
            Subscription<RecordingHandler<GroupA>>("group-a"));

        await probe.WaitUntilAsync(p => p.Count(RecordingHandler<GroupA>.Name, orphan.Id) >= 1, "the orphaned entry is reclaimed and delivered");
        await WaitUntilAsync(async () => (await redis.Database.StreamPendingAsync(stream, "group-a")).PendingMessageCount == 0, "the reclaimed entry is acknowledged");
        var consumers = await redis.Database.StreamConsumerInfoAsync(stream, "group-a");
        consumers.Should().Contain(c => c.Name == "dead-consumer").Which.PendingMessageCount.Should().Be(0);
        probe.Count(RecordingHandler<GroupA>.Name, orphan.Id).Should().Be(1);
    }

    [Fact]
    public async Task Dispatcher_HandlerAlwaysFails_DeadLetterStreamHoldsEventAndReason()
    {
        var subscription = Subscription<ScriptedHandler<GroupA>>("group-a", maxAttempts: 2);
        await StartHostAsync(null, subscription, Subscription<RecordingHandler<DeadLetterReaders>>("dead-letters", topic: subscription.DeadLetterTopic));
        var poison = NewEvent(Scripts.FailAlways) with { Subject = "000.00.00.G22", TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

        await Bus().PublishAsync(poison);

        await probe.WaitUntilAsync(p => p.Count(RecordingHandler<DeadLetterReaders>.Name, poison.Id) >= 1, "the event reaches the dead-letter stream");
        var entries = await redis.Database.StreamRangeAsync(Keys.Stream(Topic + ".deadletter"));
        var fields = entries.Should().ContainSingle().Subject.Values.ToDictionary(v => (string)v.Name!, v => (string)v.Value!);
        fields["id"].Should().Be(poison.Id);
        fields["type"].Should().Be(Scripts.FailAlways);
        fields["subject"].Should().Be("000.00.00.G22");
        fields["traceparent"].Should().Be(poison.TraceParent);
        fields["data"].Should().Be("payload");
        fields["mesh.deadletter.group"].Should().Be("group-a");
        fields["mesh.deadletter.reason"].Should().Contain("Scripted permanent failure");
        var original = await redis.Database.StreamRangeAsync(Keys.Stream(Topic));
        fields["mesh.deadletter.origin"].Should().Be((string)original.Should().ContainSingle().Subject.Id!);
        probe.Count(ScriptedHandler<GroupA>.Name, poison.Id).Should().Be(2);
        (await redis.Database.StreamPendingAsync(Keys.Stream(Topic), "group-a")).PendingMessageCount.Should().Be(0);
        (await redis.Database.HashLengthAsync(Keys.Attempts(Topic, "group-a"))).Should().Be(0);
    }

    [Fact]
    public async Task TransactAsync_ConcurrentTransfers_NoUpdateLostAndEverySnapshotConsistent()
    {
        const int Transfers = 40;
        await using var store = RedisStateStore.Open(redis.Options(instanceName));
        await store.TransactAsync([StateOperation.Upsert("acct/a", Number(Transfers)), StateOperation.Upsert("acct/b", Number(0))]);
        var conflicts = 0;
        var done = false;

        var scanner = Task.Run(async () =>
        {
            var snapshots = 0;
            while (!Volatile.Read(ref done) || snapshots == 0)
            {
                var items = await store.ScanAsync("acct/", afterKey: null, limit: 10);
                items.Sum(i => Parse(i.Value)).Should().Be(Transfers, "a scan runs in one script and never sees half a transaction");
                snapshots++;
            }

            return snapshots;
        });
        var transfers = Enumerable.Range(0, Transfers).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var items = (await store.GetBulkAsync(["acct/a", "acct/b"])).ToDictionary(i => i.Key);
                try
                {
                    await store.TransactAsync(
                    [
                        StateOperation.Upsert("acct/a", Number(Parse(items["acct/a"].Value) - 1), items["acct/a"].ETag),
                        StateOperation.Upsert("acct/b", Number(Parse(items["acct/b"].Value) + 1), items["acct/b"].ETag),
                    ]);
                    return;
                }
                catch (ETagMismatchException)
                {
                    Interlocked.Increment(ref conflicts);
                }
            }
        })).ToList();
        await Task.WhenAll(transfers);
        Volatile.Write(ref done, true);
        var snapshots = await scanner;

        var final = (await store.GetBulkAsync(["acct/a", "acct/b"])).ToDictionary(i => i.Key, i => Parse(i.Value));
        final["acct/a"].Should().Be(0);
        final["acct/b"].Should().Be(Transfers);
        snapshots.Should().BePositive();
        conflicts.Should().BePositive("forty writers on the same two keys collide, which is what this test is about");
    }

    [Fact]
    public async Task TransactAsync_Applied_IndexAndDataChangeTogether()
    {
        await using var store = RedisStateStore.Open(redis.Options(instanceName));
        await store.SetAsync("i/old", Number(1));

        await store.TransactAsync([StateOperation.Delete("i/old"), StateOperation.Upsert("i/new", Number(2))]);

        var members = await redis.Database.SortedSetRangeByRankAsync(Keys.Index);
        members.Select(m => (string)m!).Should().Equal("i/new");
        (await redis.Database.KeyExistsAsync(Keys.Data("i/old"))).Should().BeFalse();
    }

    private static byte[] Number(int value) => Encoding.UTF8.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    private static int Parse(ReadOnlyMemory<byte> value) => int.Parse(Encoding.UTF8.GetString(value.Span), CultureInfo.InvariantCulture);

    private static CloudEvent NewEvent(string type) =>
        new(Guid.NewGuid().ToString("N"), "/mesh/tests", type, Topic, Encoding.UTF8.GetBytes("payload"));

    private static Subscription Subscription<THandler>(string group, int maxAttempts = 8, string topic = Topic)
        where THandler : IEventHandler =>
        new(topic, group, typeof(THandler))
        {
            MaxAttempts = maxAttempts,
            InitialBackoff = TimeSpan.FromMilliseconds(20),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
        };

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string description)
    {
        // Redis has no change signal for pending lists; each check is a round trip, and the loop ends on the condition.
        using var expiry = new CancellationTokenSource(Mesh.Testing.Eventually.DefaultTimeout);
        while (!await condition())
        {
            if (expiry.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out waiting until {description}.");
            }

            await Task.Yield();
        }
    }

    private IEventBus Bus() => hosts[0].Services.GetRequiredService<IEventBus>();

    private async Task StartHostAsync(IDictionary<string, string?>? overrides, params Subscription[] subscriptions)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton(probe);
        foreach (var subscription in subscriptions)
        {
            builder.Services.AddSingleton(subscription);
            builder.Services.AddScoped(subscription.HandlerType);
        }

        builder.Services.AddMeshRedisBackend(redis.Configuration(instanceName, overrides));
        var host = builder.Build();
        hosts.Add(host);
        await host.StartAsync();
    }
}
