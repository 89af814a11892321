using System.Text;
using FluentAssertions;
using Mesh.State;
using Xunit;

namespace Mesh.Testing.Conformance;

/// <summary>
/// The <see cref="IStateStore"/> contract. A backend's test class derives from this and only says how
/// to open a store; every test gets a fresh, isolated instance.
/// </summary>
public abstract class StateStoreConformanceTests : IAsyncLifetime
{
    private readonly string instanceName = "state-" + Guid.NewGuid().ToString("N")[..12];
    private IStateStore? store;

    /// <summary>The store under test.</summary>
    protected IStateStore Store => store ?? throw new InvalidOperationException("The store is not open.");

    /// <summary>Opens the store named <paramref name="instanceName"/>; called again with the same name it must see the same durable data.</summary>
    protected abstract Task<IStateStore> OpenAsync(string instanceName);

    /// <summary>Closes a store (flushing whatever it buffers).</summary>
    protected virtual async Task CloseAsync(IStateStore openStore)
    {
        switch (openStore)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>Removes every trace of the instance after the test.</summary>
    protected virtual Task DeleteInstanceAsync(string instanceName) => Task.CompletedTask;

    /// <summary>Closes the store and opens the same instance again.</summary>
    protected async Task ReopenAsync()
    {
        await CloseAsync(Store);
        store = null;
        store = await OpenAsync(instanceName);
    }

    /// <inheritdoc />
    public async Task InitializeAsync() => store = await OpenAsync(instanceName);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (store is not null)
        {
            await CloseAsync(store);
            store = null;
        }

        await DeleteInstanceAsync(instanceName);
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(StateItem? item) => Encoding.UTF8.GetString(item!.Value.Span);

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        var result = await Store.GetAsync("missing");

        result.Should().BeNull();
    }

    [Fact]
    public async Task SetAsync_NewKey_GetReturnsValueAndSameETag()
    {
        var etag = await Store.SetAsync("doc/1", Bytes("hello"));

        var item = await Store.GetAsync("doc/1");

        item.Should().NotBeNull();
        item!.Key.Should().Be("doc/1");
        Text(item).Should().Be("hello");
        item.ETag.Should().Be(etag).And.NotBeNullOrEmpty();
    }

    [Fact]
    public async Task SetAsync_EveryWrite_ChangesETag()
    {
        var etags = new List<string>();

        for (var i = 0; i < 3; i++)
        {
            etags.Add(await Store.SetAsync("k", Bytes("same value")));
        }

        etags.Should().OnlyHaveUniqueItems();
        (await Store.GetAsync("k"))!.ETag.Should().Be(etags[^1]);
    }

    [Fact]
    public async Task SetAsync_AbsentPrecondition_SucceedsOnceThenMismatches()
    {
        await Store.SetAsync("once", Bytes("first"), ETag.Absent);

        var second = async () => await Store.SetAsync("once", Bytes("second"), ETag.Absent);

        (await second.Should().ThrowAsync<ETagMismatchException>()).Which.Key.Should().Be("once");
        Text(await Store.GetAsync("once")).Should().Be("first");
    }

    [Fact]
    public async Task SetAsync_CurrentETag_Succeeds()
    {
        var etag = await Store.SetAsync("k", Bytes("v1"));

        var next = await Store.SetAsync("k", Bytes("v2"), etag);

        next.Should().NotBe(etag);
        Text(await Store.GetAsync("k")).Should().Be("v2");
    }

    [Fact]
    public async Task SetAsync_StaleETag_ThrowsAndWritesNothing()
    {
        var stale = await Store.SetAsync("k", Bytes("v1"));
        var current = await Store.SetAsync("k", Bytes("v2"), stale);

        var write = async () => await Store.SetAsync("k", Bytes("v3"), stale);

        await write.Should().ThrowAsync<ETagMismatchException>();
        var item = await Store.GetAsync("k");
        Text(item).Should().Be("v2");
        item!.ETag.Should().Be(current);
    }

    [Fact]
    public async Task SetAsync_ETagOnMissingKey_Throws()
    {
        var etag = await Store.SetAsync("other", Bytes("v"));

        var write = async () => await Store.SetAsync("missing", Bytes("v"), etag);

        await write.Should().ThrowAsync<ETagMismatchException>();
        (await Store.GetAsync("missing")).Should().BeNull();
    }

    [Fact]
    public async Task SetAsync_DeletedThenRecreated_GetsETagNeverSeenBefore()
    {
        var old = await Store.SetAsync("k", Bytes("v1"));
        await Store.DeleteAsync("k");

        var recreated = await Store.SetAsync("k", Bytes("v2"));

        recreated.Should().NotBe(old);
        var staleWrite = async () => await Store.SetAsync("k", Bytes("v3"), old);
        await staleWrite.Should().ThrowAsync<ETagMismatchException>();
    }

    [Fact]
    public async Task DeleteAsync_WithoutETag_RemovesKey()
    {
        await Store.SetAsync("k", Bytes("v"));

        await Store.DeleteAsync("k");

        (await Store.GetAsync("k")).Should().BeNull();
    }

    [Fact]
    public async Task DeleteAsync_MissingKeyWithoutETag_DoesNothing()
    {
        var delete = async () => await Store.DeleteAsync("missing");

        await delete.Should().NotThrowAsync();
    }

    [Fact]
    public async Task DeleteAsync_CurrentETag_RemovesKey()
    {
        var etag = await Store.SetAsync("k", Bytes("v"));

        await Store.DeleteAsync("k", etag);

        (await Store.GetAsync("k")).Should().BeNull();
    }

    [Fact]
    public async Task DeleteAsync_StaleETag_ThrowsAndKeepsValue()
    {
        var stale = await Store.SetAsync("k", Bytes("v1"));
        await Store.SetAsync("k", Bytes("v2"));

        var delete = async () => await Store.DeleteAsync("k", stale);

        await delete.Should().ThrowAsync<ETagMismatchException>();
        Text(await Store.GetAsync("k")).Should().Be("v2");
    }

    [Fact]
    public async Task DeleteAsync_ETagOnMissingKey_Throws()
    {
        var etag = await Store.SetAsync("k", Bytes("v"));
        await Store.DeleteAsync("k");

        var delete = async () => await Store.DeleteAsync("k", etag);

        await delete.Should().ThrowAsync<ETagMismatchException>();
    }

    [Fact]
    public async Task GetBulkAsync_SomeKeysMissing_ReturnsOnlyExistingWithETags()
    {
        var etagA = await Store.SetAsync("a", Bytes("1"));
        var etagC = await Store.SetAsync("c", Bytes("3"));

        var items = await Store.GetBulkAsync(["a", "b", "c", "d"]);

        items.Select(i => (i.Key, Text(i), i.ETag)).Should().BeEquivalentTo([("a", "1", etagA), ("c", "3", etagC)]);
    }

    [Fact]
    public async Task GetBulkAsync_NoKeys_ReturnsEmpty()
    {
        var items = await Store.GetBulkAsync([]);

        items.Should().BeEmpty();
    }

    [Fact]
    public async Task TransactAsync_AllPreconditionsHold_AppliesAllAndReturnsETags()
    {
        var etagA = await Store.SetAsync("a", Bytes("old"));
        await Store.SetAsync("gone", Bytes("x"));

        var etags = await Store.TransactAsync(
        [
            StateOperation.Upsert("a", Bytes("new"), etagA),
            StateOperation.Upsert("b", Bytes("created"), ETag.Absent),
            StateOperation.Delete("gone"),
            StateOperation.Upsert("c", Bytes("plain")),
        ]);

        etags.Should().HaveCount(4);
        etags[2].Should().BeEmpty();
        var items = (await Store.GetBulkAsync(["a", "b", "c", "gone"])).ToDictionary(i => i.Key);
        items.Keys.Should().BeEquivalentTo(["a", "b", "c"]);
        Text(items["a"]).Should().Be("new");
        Text(items["b"]).Should().Be("created");
        items["a"].ETag.Should().Be(etags[0]);
        items["b"].ETag.Should().Be(etags[1]);
        items["c"].ETag.Should().Be(etags[3]);
        new[] { etags[0], etags[1], etags[3], etagA }.Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task TransactAsync_OnePreconditionFails_AppliesNothing()
    {
        var etagA = await Store.SetAsync("a", Bytes("a1"));
        var etagB = await Store.SetAsync("b", Bytes("b1"));
        await Store.SetAsync("b", Bytes("b2"), etagB);
        await Store.SetAsync("d", Bytes("d1"));

        var transact = async () => await Store.TransactAsync(
        [
            StateOperation.Upsert("a", Bytes("a2"), etagA),
            StateOperation.Delete("d"),
            StateOperation.Upsert("c", Bytes("c1")),
            StateOperation.Upsert("b", Bytes("b3"), etagB),
        ]);

        (await transact.Should().ThrowAsync<ETagMismatchException>()).Which.Key.Should().Be("b");
        var items = (await Store.GetBulkAsync(["a", "b", "c", "d"])).ToDictionary(i => i.Key, Text);
        items.Should().BeEquivalentTo(new Dictionary<string, string> { ["a"] = "a1", ["b"] = "b2", ["d"] = "d1" });
        (await Store.GetAsync("a"))!.ETag.Should().Be(etagA);
    }

    [Fact]
    public async Task TransactAsync_FailingDeletePrecondition_AppliesNothing()
    {
        var stale = await Store.SetAsync("d", Bytes("d1"));
        await Store.SetAsync("d", Bytes("d2"));

        var transact = async () => await Store.TransactAsync(
        [
            StateOperation.Upsert("a", Bytes("a1")),
            StateOperation.Delete("d", stale),
        ]);

        await transact.Should().ThrowAsync<ETagMismatchException>();
        (await Store.GetAsync("a")).Should().BeNull();
        Text(await Store.GetAsync("d")).Should().Be("d2");
    }

    [Fact]
    public async Task TransactAsync_AbsentPreconditionOnExistingKey_AppliesNothing()
    {
        await Store.SetAsync("exists", Bytes("v"));

        var transact = async () => await Store.TransactAsync(
        [
            StateOperation.Delete("exists"),
            StateOperation.Upsert("exists", Bytes("again"), ETag.Absent),
        ]);

        await transact.Should().ThrowAsync<ETagMismatchException>();
        Text(await Store.GetAsync("exists")).Should().Be("v");
    }

    [Fact]
    public async Task ScanAsync_Prefix_ReturnsOnlyPrefixedKeysInOrdinalOrder()
    {
        string[] keys = ["doc/b", "doc/a", "doc/B", "doc/a/1", "doc0", "doc", "do", "doc/~", "doc/Z", "other/a"];
        foreach (var key in keys)
        {
            await Store.SetAsync(key, Bytes(key));
        }

        var items = await Store.ScanAsync("doc/", afterKey: null, limit: 100);

        var expected = keys.Where(k => k.StartsWith("doc/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        items.Select(i => i.Key).Should().Equal(expected);
        items.Should().AllSatisfy(i => Text(i).Should().Be(i.Key));
    }

    [Fact]
    public async Task ScanAsync_AfterKey_PaginatesWithoutGapsOrRepeats()
    {
        var keys = Enumerable.Range(0, 25).Select(i => $"p/{i:D3}").ToList();
        foreach (var key in keys)
        {
            await Store.SetAsync(key, Bytes(key));
        }

        await Store.SetAsync("q/000", Bytes("outside"));

        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await Store.ScanAsync("p/", after, limit: 7);
            page.Count.Should().BeLessThanOrEqualTo(7);
            if (page.Count == 0)
            {
                break;
            }

            seen.AddRange(page.Select(i => i.Key));
            after = page[^1].Key;
        }

        seen.Should().Equal(keys);
    }

    [Fact]
    public async Task ScanAsync_Limit_ReturnsFirstKeysOnly()
    {
        foreach (var key in new[] { "s/c", "s/a", "s/b" })
        {
            await Store.SetAsync(key, Bytes(key));
        }

        var items = await Store.ScanAsync("s/", afterKey: null, limit: 2);

        items.Select(i => i.Key).Should().Equal("s/a", "s/b");
    }

    [Fact]
    public async Task ScanAsync_ReturnsValuesAndETags()
    {
        var etag = await Store.SetAsync("e/1", Bytes("one"));

        var items = await Store.ScanAsync("e/", afterKey: null, limit: 10);

        items.Should().ContainSingle().Which.ETag.Should().Be(etag);
        Text(items[0]).Should().Be("one");
    }

    [Fact]
    public async Task SetAsync_ConcurrentWritersWithSameETag_ExactlyOneWins()
    {
        const int Writers = 16;
        var etag = await Store.SetAsync("race", Bytes("start"));
        using var go = new ManualResetEventSlim(false);

        var attempts = Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            go.Wait();
            try
            {
                return (Writer: i, ETag: (string?)await Store.SetAsync("race", Bytes($"writer {i}"), etag));
            }
            catch (ETagMismatchException)
            {
                return (Writer: i, ETag: (string?)null);
            }
        })).ToList();
        go.Set();
        var results = await Task.WhenAll(attempts);

        var winner = results.Should().ContainSingle(r => r.ETag != null).Subject;
        var item = await Store.GetAsync("race");
        Text(item).Should().Be($"writer {winner.Writer}");
        item!.ETag.Should().Be(winner.ETag);
    }

    [Fact]
    public async Task SetAsync_ConcurrentCreatesWithAbsent_ExactlyOneWins()
    {
        const int Writers = 16;

        var attempts = Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.SetAsync("created", Bytes($"writer {i}"), ETag.Absent);
                return true;
            }
            catch (ETagMismatchException)
            {
                return false;
            }
        }));
        var results = await Task.WhenAll(attempts);

        results.Count(won => won).Should().Be(1);
    }

    [Fact]
    public async Task SetAsync_FourMebibyteValue_RoundTrips()
    {
        var value = new byte[4 * 1024 * 1024];
        new Random(42).NextBytes(value);

        await Store.SetAsync("big", value);

        var item = await Store.GetAsync("big");
        item!.Value.Length.Should().Be(value.Length);
        item.Value.Span.SequenceEqual(value).Should().BeTrue();
    }

    [Fact]
    public async Task SetAsync_EmptyValue_RoundTripsAsEmpty()
    {
        await Store.SetAsync("empty", ReadOnlyMemory<byte>.Empty);

        var item = await Store.GetAsync("empty");

        item.Should().NotBeNull();
        item!.Value.Length.Should().Be(0);
    }

    [Fact]
    public async Task SetAsync_KeyOf512Utf8Bytes_RoundTrips()
    {
        var key = new string('ệ', 170) + "xx";
        Encoding.UTF8.GetByteCount(key).Should().Be(512);

        await Store.SetAsync(key, Bytes("v"));

        (await Store.GetAsync(key))!.Key.Should().Be(key);
    }

    [Fact]
    public async Task SetAsync_KeyOver512Utf8Bytes_ThrowsArgumentException()
    {
        var key = new string('ệ', 170) + "xxx";

        var write = async () => await Store.SetAsync(key, Bytes("v"));

        await write.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task SetAsync_NonAsciiKeysAndValues_RoundTrip()
    {
        const string Key = "cơ-quan/000.00.00.G22/Văn phòng Chính phủ";

        await Store.SetAsync(Key, Bytes("Trục liên thông"));

        var scanned = await Store.ScanAsync("cơ-quan/", afterKey: null, limit: 10);
        scanned.Should().ContainSingle().Which.Key.Should().Be(Key);
        Text(await Store.GetAsync(Key)).Should().Be("Trục liên thông");
    }

    [Fact]
    public async Task SetAsync_AfterReopen_ValueAndETagSurvive()
    {
        var etag = await Store.SetAsync("durable", Bytes("kept"));
        var transacted = await Store.TransactAsync([StateOperation.Upsert("t/1", Bytes("one")), StateOperation.Upsert("t/2", Bytes("two"))]);

        await ReopenAsync();

        var item = await Store.GetAsync("durable");
        Text(item).Should().Be("kept");
        item!.ETag.Should().Be(etag);
        (await Store.ScanAsync("t/", afterKey: null, limit: 10)).Select(i => i.ETag).Should().Equal(transacted);
        var next = await Store.SetAsync("durable", Bytes("changed"), etag);
        new[] { etag, transacted[0], transacted[1] }.Should().NotContain(next);
    }
}
