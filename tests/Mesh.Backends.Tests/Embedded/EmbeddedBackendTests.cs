using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using FluentAssertions;
using Mesh.Backends.Embedded;
using Mesh.Events;
using Mesh.State;
using Mesh.Testing;
using Mesh.Testing.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Mesh.Backends.Tests.Embedded;

/// <summary>What the conformance suite cannot see: files, group commit, WAL, options, shutdown.</summary>
public sealed class EmbeddedBackendTests : IDisposable
{
    private readonly TempDirectory root = new();

    public void Dispose() => root.Dispose();

    private EmbeddedOptions Options(string name = "db") => new() { DataDirectory = root.Sub(name) };

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private IHost BuildHost(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        settings.TryAdd($"{EmbeddedOptions.SectionName}:DataDirectory", root.Sub("host"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        configure?.Invoke(builder.Services);
        builder.Services.AddMeshEmbeddedBackend(configuration);
        return builder.Build();
    }

    private static long Count(string databasePath, string table)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table};";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Open_NewDirectory_UsesWalJournal()
    {
        await using var store = SqliteStateStore.Open(Options());
        await store.SetAsync("k", Bytes("v"));

        await using var connection = new SqliteConnection($"Data Source={store.DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        var mode = (string?)await command.ExecuteScalarAsync();

        mode.Should().Be("wal");
        File.Exists(store.DatabasePath + "-wal").Should().BeTrue();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Checkpoints_BackgroundInterval_CopyCommittedPagesIntoTheDatabaseFileOffTheWriter(bool background)
    {
        // Restart pages high enough that the writer's own checkpoint never runs: only the background one can copy.
        var options = Options();
        options.CheckpointInterval = background ? TimeSpan.FromMilliseconds(20) : TimeSpan.Zero;
        options.CheckpointRestartPages = 1_000_000;
        await using var store = SqliteStateStore.Open(options);
        var value = new byte[64 * 1024];
        for (var i = 0; i < 32; i++)
        {
            Random.Shared.NextBytes(value);
            await store.SetAsync($"k{i}", value);
        }

        var databaseFile = new FileInfo(store.DatabasePath);
        var deadline = Stopwatch.StartNew();
        while (databaseFile.Length < 2 * 1024 * 1024 && deadline.Elapsed < TimeSpan.FromSeconds(background ? 10 : 1))
        {
            await Task.Delay(20);
            databaseFile.Refresh();
        }

        if (background)
        {
            databaseFile.Length.Should().BeGreaterThan(2 * 1024 * 1024, "the background checkpoint copied the 2 MiB committed to the WAL");
        }
        else
        {
            databaseFile.Length.Should().BeLessThan(1024 * 1024, "without it nothing checkpoints 2 MiB below SQLite's 1,000-page threshold");
        }
    }

    [Fact]
    public async Task Checkpoints_ManyCommitsWithBackgroundCheckpoints_WalStartsOverInsteadOfGrowing()
    {
        var options = Options();
        options.CheckpointInterval = TimeSpan.FromMilliseconds(10);
        options.CheckpointRestartPages = 256;
        await using (var store = SqliteStateStore.Open(options))
        {
            var value = new byte[16 * 1024];
            for (var i = 0; i < 1280; i++)
            {
                Random.Shared.NextBytes(value);
                await store.SetAsync($"k{i % 64}", value);
            }

            // 20 MiB went through the WAL; restarts at 256 pages (1 MiB) keep the file a small multiple of that.
            new FileInfo(store.DatabasePath + "-wal").Length.Should().BeLessThan(8 * 1024 * 1024);
            (await store.GetAsync("k63"))!.Value.Length.Should().Be(16 * 1024);
        }

        await using var reopened = SqliteStateStore.Open(options);
        (await reopened.ScanAsync("k", null, 100)).Should().HaveCount(64, "every committed key survives the checkpoints and a reopen");
    }

    [Fact]
    public async Task SetAsync_SixtyFourConcurrentWriters_FewerCommitsThanWrites()
    {
        const int Writers = 64;
        const int WritesEach = 20;
        await using var store = SqliteStateStore.Open(Options());
        var before = store.Statistics;
        var batchSizes = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EmbeddedTelemetry.Name && instrument.Name == "mesh.embedded.write.batch_size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            // Other tests write through the same static meter; keep only this store's commits.
            foreach (var tag in tags)
            {
                if (tag.Key == "mesh.embedded.database" && Equals(tag.Value, store.DatabasePath))
                {
                    lock (batchSizes)
                    {
                        batchSizes.Add(value);
                    }
                }
            }
        });
        listener.Start();

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < WritesEach; i++)
            {
                await store.SetAsync($"w{w}/{i}", Bytes("value"));
            }
        })));

        var delta = store.Statistics with { Writes = store.Statistics.Writes - before.Writes, Commits = store.Statistics.Commits - before.Commits };
        delta.Writes.Should().Be(Writers * WritesEach);
        delta.Commits.Should().BeLessThan(delta.Writes / 2, "concurrent writes share one fsync");
        lock (batchSizes)
        {
            batchSizes.Sum().Should().Be(Writers * WritesEach);
            batchSizes.Max().Should().BeGreaterThan(1);
        }

        (await store.ScanAsync("w", afterKey: null, limit: 10_000)).Should().HaveCount(Writers * WritesEach);
    }

    [Fact]
    public async Task SetAsync_FailingPreconditionsInSameBatch_OnlyThoseCallersFail()
    {
        await using var store = SqliteStateStore.Open(Options());
        var etags = new Dictionary<string, string>();
        for (var i = 0; i < 32; i++)
        {
            etags[$"k{i}"] = await store.SetAsync($"k{i}", Bytes("v0"));
        }

        var writes = Enumerable.Range(0, 32).Select(async i =>
        {
            var expected = i % 2 == 0 ? etags[$"k{i}"] : "stale";
            try
            {
                await store.SetAsync($"k{i}", Bytes("v1"), expected);
                return (i, ok: true);
            }
            catch (ETagMismatchException)
            {
                return (i, ok: false);
            }
        }).ToList();
        var results = await Task.WhenAll(writes);

        results.Should().AllSatisfy(r => r.ok.Should().Be(r.i % 2 == 0));
        var items = await store.GetBulkAsync([.. Enumerable.Range(0, 32).Select(i => $"k{i}")]);
        items.Should().AllSatisfy(item =>
            Encoding.UTF8.GetString(item.Value.Span).Should().Be(int.Parse(item.Key[1..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0 ? "v1" : "v0"));
    }

    [Fact]
    public async Task PipelinedSync_CommitNotYetFsynced_WriterAndReadersThatCouldSeeItWaitForTheFsync()
    {
        // Disposed after the store, whose syncer may still call the hook while it drains.
        using var gate = new ManualResetEventSlim(initialState: false);
        await using var store = SqliteStateStore.Open(Options());
        try
        {
            await store.SetAsync("old", Bytes("durable"));
            await store.SetAsync("gone", Bytes("durable"));
            store.Database.BeforeSync = () => gate.Wait(TimeSpan.FromSeconds(30));

            // Committed and visible to SQLite readers, but not fsynced while the syncer is held.
            var write = store.SetAsync("new", Bytes("pending")).AsTask();
            await WaitUntilAsync(() => store.Statistics.Commits >= 3);
            var delete = store.DeleteAsync("gone").AsTask();
            await WaitUntilAsync(() => store.Statistics.Commits >= 4);

            var readNew = store.GetAsync("new").AsTask();
            var readGone = store.GetAsync("gone").AsTask();
            var scan = store.ScanAsync("", afterKey: null, limit: 10).AsTask();
            var readOld = store.GetAsync("old");
            var readNeverWritten = store.GetAsync("never");

            // A row as old as the last fsync, and a key no pending commit deleted, are answered at once.
            readOld.IsCompletedSuccessfully.Should().BeTrue();
            Encoding.UTF8.GetString((await readOld)!.Value.Span).Should().Be("durable");
            readNeverWritten.IsCompletedSuccessfully.Should().BeTrue();
            (await readNeverWritten).Should().BeNull();
            await Task.Delay(200);
            write.IsCompleted.Should().BeFalse("a write is answered only once an fsync covers it");
            delete.IsCompleted.Should().BeFalse();
            readNew.IsCompleted.Should().BeFalse("the value read is not durable yet");
            readGone.IsCompleted.Should().BeFalse("the key's absence comes from a delete not durable yet");
            scan.IsCompleted.Should().BeFalse();

            gate.Set();

            await Task.WhenAll(write, delete);
            Encoding.UTF8.GetString((await readNew)!.Value.Span).Should().Be("pending");
            (await readGone).Should().BeNull();
            (await scan).Select(i => i.Key).Should().Equal("new", "old");
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task PipelinedSync_Off_WritesAreAnsweredByTheWriterAndReadsNeverWait()
    {
        var options = Options();
        options.PipelinedSync = false;
        await using var store = SqliteStateStore.Open(options);
        store.Database.BeforeSync = () => throw new InvalidOperationException("no syncer thread without pipelined syncs");

        await store.SetAsync("k", Bytes("v"));
        var read = store.GetAsync("k");

        read.IsCompletedSuccessfully.Should().BeTrue();
        Encoding.UTF8.GetString((await read)!.Value.Span).Should().Be("v");
        File.ReadAllBytes(store.DatabasePath + "-wal").Length.Should().BeGreaterThan(0);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            deadline.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30));
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task DisposeAsync_WritesStillQueued_AreCommittedAndSurviveReopen()
    {
        var options = Options();
        var store = SqliteStateStore.Open(options);
        var pending = Enumerable.Range(0, 200).Select(i => store.SetAsync($"q/{i:D3}", Bytes($"{i}")).AsTask()).ToList();

        await store.DisposeAsync();

        await Task.WhenAll(pending);
        await using var reopened = SqliteStateStore.Open(options);
        (await reopened.ScanAsync("q/", afterKey: null, limit: 1000)).Should().HaveCount(200);
    }

    [Fact]
    public async Task Open_SameDirectoryTwice_SecondOpenFails()
    {
        var options = Options();
        await using var first = SqliteStateStore.Open(options);

        var second = () => SqliteStateStore.Open(options);

        second.Should().Throw<IOException>();
    }

    [Fact]
    public async Task SetAsync_AfterDispose_ThrowsObjectDisposed()
    {
        var store = SqliteStateStore.Open(Options());
        await store.DisposeAsync();

        var write = async () => await store.SetAsync("k", Bytes("v"));

        await write.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Theory]
    [InlineData(null, "chunk/", 1)]
    [InlineData("2147483647", "chunk/", 0)]
    [InlineData(null, "doc/", 0)]
    public async Task AddMeshEmbeddedBackend_ValueLogSettingsFromConfiguration_DecideWhereLargeValuesGo(string? minBytes, string prefix, long external)
    {
        // Configured prefixes add to the default "chunk/" (the binder appends to arrays): "blob/" is added, "chunk/" stays.
        var settings = new Dictionary<string, string?> { [$"{EmbeddedOptions.SectionName}:ValueLogPrefixes:0"] = "blob/" };
        if (minBytes is not null)
        {
            settings[$"{EmbeddedOptions.SectionName}:ValueLogMinBytes"] = minBytes;
        }

        using var host = BuildHost(settings);
        await host.StartAsync();
        var store = host.Services.GetRequiredService<SqliteStateStore>();
        host.Services.GetRequiredService<IOptions<EmbeddedOptions>>().Value.ValueLogPrefixes.Should().Equal("chunk/", "blob/");

        await store.SetAsync(prefix + "1", new byte[10_000]);
        await store.SetAsync("blob/1", new byte[10_000]);
        await host.StopAsync();

        Count(store.DatabasePath, $"kv WHERE ext = 1 AND key = CAST('{prefix}1' AS BLOB)").Should().Be(external);
        Count(store.DatabasePath, "kv WHERE ext = 1 AND key = CAST('blob/1' AS BLOB)").Should().Be(minBytes is null ? 1 : 0);
    }

    [Fact]
    public async Task AddMeshEmbeddedBackend_StateAndBusInOneHost_ShareOneFileThatSurvivesRestart()
    {
        var settings = new Dictionary<string, string?> { [$"{EmbeddedOptions.SectionName}:Synchronous"] = "Normal" };
        string databasePath;
        using (var host = BuildHost(settings))
        {
            await host.StartAsync();
            var store = host.Services.GetRequiredService<SqliteStateStore>();
            host.Services.GetRequiredService<IStateStore>().Should().BeSameAs(store);
            host.Services.GetRequiredService<IOptions<EmbeddedOptions>>().Value.Synchronous.Should().Be(SqliteSynchronous.Normal);
            await store.SetAsync("doc/1", Bytes("accepted"));
            await host.Services.GetRequiredService<IEventBus>().PublishAsync(new CloudEvent("e1", "/mesh/tests", Scripts.Ok, "documents", Bytes("x")));
            databasePath = store.DatabasePath;
            await host.StopAsync();
        }

        await using var reopened = SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = Path.GetDirectoryName(databasePath)! });

        Encoding.UTF8.GetString((await reopened.GetAsync("doc/1"))!.Value.Span).Should().Be("accepted");
        reopened.DatabasePath.Should().Be(databasePath);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_FailsValidation()
    {
        using var host = BuildHost(new Dictionary<string, string?> { [$"{EmbeddedOptions.SectionName}:MaxBatchSize"] = "0" });

        var start = () => host.StartAsync();

        await start.Should().ThrowAsync<OptionsValidationException>();
    }

    [Fact]
    public async Task StartAsync_SameGroupSubscribedTwiceToOneTopic_Fails()
    {
        using var host = BuildHost(new Dictionary<string, string?>(), services => services
            .AddMeshSubscription<RecordingHandler<GroupA>>("t", "g")
            .AddMeshSubscription<RecordingHandler<GroupB>>("t", "g"));

        var start = () => host.StartAsync();

        await start.Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public async Task StartAsync_HandlerNotRegistered_Fails()
    {
        using var host = BuildHost(new Dictionary<string, string?>(), services => services
            .AddSingleton(new Subscription("t", "g", typeof(RecordingHandler<GroupA>))));

        var start = () => host.StartAsync();

        await start.Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public async Task Dispatcher_EventWithTraceParent_HandlerSpanJoinsThePublisherTrace()
    {
        const string TraceId = "0af7651916cd43dd8448eb211c80319c";
        var eventId = Guid.NewGuid().ToString("N");
        var consumerSpan = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EmbeddedTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Kind == ActivityKind.Consumer && Equals(activity.GetTagItem("messaging.message.id"), eventId))
                {
                    consumerSpan.TrySetResult(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var probe = new EventProbe();
        using var host = BuildHost(new Dictionary<string, string?>(), services => services
            .AddSingleton(probe)
            .AddMeshSubscription<RecordingHandler<GroupA>>("t", "g"));
        await host.StartAsync();

        await host.Services.GetRequiredService<IEventBus>().PublishAsync(new CloudEvent(eventId, "/mesh/tests", Scripts.Ok, "t", Bytes("x"))
        {
            TraceParent = $"00-{TraceId}-b7ad6b7169203331-01",
        });

        var span = await Eventually.CompletesAsync(consumerSpan.Task, "the consumer span");
        span.TraceId.ToHexString().Should().Be(TraceId);
        span.ParentSpanId.ToHexString().Should().Be("b7ad6b7169203331");
        await host.StopAsync();
    }

    [Fact]
    public async Task PruneOnceAsync_SettledEventsOlderThanRetention_AreDeleted()
    {
        var probe = new EventProbe();
        var settings = new Dictionary<string, string?> { [$"{EmbeddedOptions.SectionName}:OutboxRetention"] = "00:00:00" };
        void Configure(IServiceCollection services) => services.AddSingleton(probe).AddMeshSubscription<RecordingHandler<GroupA>>("t", "g");
        string databasePath;
        using (var first = BuildHost(settings, Configure))
        {
            await first.StartAsync();
            await first.Services.GetRequiredService<IEventBus>().PublishAsync(new CloudEvent("e1", "/mesh/tests", Scripts.Ok, "t", Bytes("x")));
            await first.Services.GetRequiredService<IEventBus>().PublishAsync(new CloudEvent("e2", "/mesh/tests", Scripts.Ok, "never-subscribed", Bytes("y")));
            await probe.WaitUntilAsync(p => p.Count(RecordingHandler<GroupA>.Name, "e1") == 1, "e1 is delivered");
            databasePath = first.Services.GetRequiredService<SqliteStateStore>().DatabasePath;
            await first.StopAsync();
        }

        int pruned;
        using (var second = BuildHost(settings, Configure))
        {
            var dispatcher = second.Services.GetServices<IHostedService>().OfType<EmbeddedEventDispatcher>().Single();
            pruned = await dispatcher.PruneOnceAsync(CancellationToken.None);
        }

        pruned.Should().Be(1);
        Count(databasePath, "outbox").Should().Be(1, "only the event of a topic nobody has consumed yet is kept");
        Count(databasePath, "delivery").Should().Be(0);
        probe.Count(RecordingHandler<GroupA>.Name, "e1").Should().Be(1);
    }

    [Fact]
    public async Task Dispatcher_HandlerFailedThenRestart_KeepsAttemptsAndBackoffSchedule()
    {
        var probe = new EventProbe();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?>();
        Subscription Slow(Subscription s) => s with { MaxAttempts = 3, InitialBackoff = TimeSpan.FromHours(1), MaxBackoff = TimeSpan.FromHours(1) };
        using (var first = BuildHost(settings, services => services.AddSingleton<TimeProvider>(clock).AddSingleton(probe).AddMeshSubscription<ScriptedHandler<GroupA>>("t", "g", Slow)))
        {
            await first.StartAsync();
            await first.Services.GetRequiredService<IEventBus>().PublishAsync(new CloudEvent("poison", "/mesh/tests", Scripts.FailAlways, "t", Bytes("x")));
            await probe.WaitUntilAsync(p => p.Count(ScriptedHandler<GroupA>.Name, "poison") == 1, "the first attempt");
            await first.StopAsync();
        }

        using var second = BuildHost(settings, services => services
            .AddSingleton<TimeProvider>(clock)
            .AddSingleton(probe)
            .AddMeshSubscription<ScriptedHandler<GroupA>>("t", "g", s => Slow(s) with { InitialBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero })
            .AddMeshSubscription<RecordingHandler<DeadLetterReaders>>("t.deadletter", "dl"));
        await second.StartAsync();
        clock.Advance(TimeSpan.FromMinutes(59));
        probe.Count(ScriptedHandler<GroupA>.Name, "poison").Should().Be(1, "the retry persisted before the restart is not due yet");

        clock.Advance(TimeSpan.FromMinutes(2));

        await probe.WaitUntilAsync(p => p.Count(RecordingHandler<DeadLetterReaders>.Name, "poison") == 1, "the event is dead-lettered");
        probe.Count(ScriptedHandler<GroupA>.Name, "poison").Should().Be(3, "one attempt before the restart and two after it");
        await second.StopAsync();
    }
}
