using System.Buffers.Binary;
using System.Text;
using Mesh.Backends.Embedded;
using Mesh.Routing.Infrastructure;
using Mesh.State;

namespace Mesh.Routing.Tests;

/// <summary>Inbox commits combined into shared transactions, on a real SQLite store.</summary>
public sealed class InboxWriterTests : IAsyncLifetime
{
    private const string Hanoi = "000.00.00.H26";
    private const string NgheAn = "000.00.00.H41";
    private readonly string directory = Path.Combine(Path.GetTempPath(), "mesh-inbox-" + Guid.NewGuid().ToString("N"));
    private SqliteStateStore store = null!;
    private InboxWriter writer = null!;

    public Task InitializeAsync()
    {
        store = SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = directory });
        writer = new InboxWriter(store, new InboxNotifier());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await writer.DisposeAsync();
        await store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task CommitAsync_ManyConcurrent_EveryItemOnceWithConsecutiveSequences()
    {
        const int Count = 300;

        var commits = Enumerable.Range(0, Count).Select(i => Task.Run(() => writer.CommitAsync(
            [StateOperation.Upsert($"test/doc/{i}", Encoding.UTF8.GetBytes($"doc {i}"), ETag.Absent)],
            [Item(Hanoi, $"doc-{i}"), Item(NgheAn, $"doc-{i}")],
            CancellationToken.None)));
        var etags = await Task.WhenAll(commits);

        etags.Should().AllSatisfy(e => e.Should().ContainSingle().Which.Should().NotBeNullOrEmpty());
        foreach (var organ in new[] { Hanoi, NgheAn })
        {
            var entries = await InboxAsync(organ);
            entries.Select(e => e.Sequence).Should().Equal(Enumerable.Range(1, Count).Select(i => (long)i), "sequences have no gap and no repeat");
            entries.Select(e => e.ItemId).Should().OnlyHaveUniqueItems().And.HaveCount(Count);
            (await SequenceAsync(organ)).Should().Be(Count);
        }

        (await store.GetAsync("test/doc/7"))!.Value.ToArray().Should().Equal(Encoding.UTF8.GetBytes("doc 7"));
    }

    [Fact]
    public async Task CommitAsync_OneFailedPrecondition_FailsOnlyThatCommit()
    {
        await store.SetAsync("test/taken", new byte[] { 1 });
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<IReadOnlyList<string>> Commit(string key, string item) => Task.Run(async () =>
        {
            await start.Task;
            return await writer.CommitAsync([StateOperation.Upsert(key, new byte[] { 2 }, ETag.Absent)], [Item(Hanoi, item)], CancellationToken.None);
        });

        var good = Enumerable.Range(0, 20).Select(i => Commit($"test/free/{i}", $"good-{i}")).ToList();
        var bad = Commit("test/taken", "bad");
        start.SetResult();

        var refused = await bad.Invoking(t => t).Should().ThrowAsync<ETagMismatchException>();
        refused.Which.Key.Should().Be("test/taken");
        await Task.WhenAll(good);
        var entries = await InboxAsync(Hanoi);
        entries.Select(e => e.ItemId).Should().BeEquivalentTo(Enumerable.Range(0, 20).Select(i => $"good-{i}"), "the refused commit left no inbox item");
        entries.Select(e => e.Sequence).Should().Equal(Enumerable.Range(1, 20).Select(i => (long)i), "and no gap where its item would have been");
        (await store.GetAsync("test/taken"))!.Value.ToArray().Should().Equal(new byte[] { 1 });
    }

    [Fact]
    public async Task CommitAsync_AnotherWriterAppendedMeanwhile_ContinuesAfterIt()
    {
        await writer.CommitAsync([], [Item(Hanoi, "first")], CancellationToken.None);

        // Another process (same store, its own writer) appends to the same inbox; this writer's cached counter is now stale.
        await using (var other = new InboxWriter(store, new InboxNotifier()))
        {
            await other.CommitAsync([], [Item(Hanoi, "from another process")], CancellationToken.None);
        }

        await writer.CommitAsync([], [Item(Hanoi, "third")], CancellationToken.None);

        var entries = await InboxAsync(Hanoi);
        entries.Select(e => (e.Sequence, e.ItemId)).Should().Equal((1L, "first"), (2L, "from another process"), (3L, "third"));
    }

    [Fact]
    public async Task CommitAsync_CancelledBeforeItsTurn_WritesNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var act = () => writer.CommitAsync([StateOperation.Upsert("test/cancelled", new byte[] { 1 })], [Item(Hanoi, "cancelled")], cancelled.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        (await store.GetAsync("test/cancelled")).Should().BeNull();
        (await InboxAsync(Hanoi)).Should().BeEmpty();
    }

    private static PendingInboxItem Item(string organ, string itemId) =>
        new(organ, seq => new InboxEntry(seq, 1, itemId, itemId, "000.00.00.G22", 1, DateTimeOffset.UnixEpoch));

    private async Task<List<InboxEntry>> InboxAsync(string organ) =>
        [.. (await store.ScanAllAsync(RoutingKeys.InboxPrefix(organ))).Select(item => Stored.Read(item, RoutingJson.Default.InboxEntry))];

    private async Task<long> SequenceAsync(string organ) =>
        BinaryPrimitives.ReadInt64BigEndian((await store.GetAsync(RoutingKeys.Sequence(organ)))!.Value.Span);
}
