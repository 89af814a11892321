using FluentAssertions;
using Mesh.Backends.Embedded;
using Mesh.State;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Mesh.Backends.Tests.Embedded;

/// <summary>Large values kept in segment files beside the SQLite file: where the bytes go, integrity, restart, old files.</summary>
public sealed class ValueLogTests : IDisposable
{
    private const string Chunk = "chunk/0f1e";
    private readonly TempDirectory root = new();

    public void Dispose() => root.Dispose();

    private EmbeddedOptions Options(string name = "db") => new() { DataDirectory = root.Sub(name) };

    private string SegmentPath(string name = "db") => Path.Combine(root.Sub(name), ValueLog.DirectoryName, "00000001.seg");

    private static byte[] Random(int length)
    {
        var bytes = new byte[length];
        System.Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The row as SQLite holds it: its stored value's length and whether it refers to the segments.</summary>
    private static (long Length, long External) Row(string databasePath, string key)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT length(value), ext FROM kv WHERE key = $k;";
        command.Parameters.AddWithValue("$k", System.Text.Encoding.UTF8.GetBytes(key));
        using var reader = command.ExecuteReader();
        reader.Read().Should().BeTrue();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    [Fact]
    public async Task SetAsync_LargeValueUnderChunkPrefix_BytesGoToTheSegmentAndOnlyAReferenceToSqlite()
    {
        var value = Random(20_000);
        await using (var store = SqliteStateStore.Open(Options()))
        {
            await store.SetAsync(Chunk, value);
            await store.SetAsync("doc/1", Random(20_000));
            await store.SetAsync("chunk/small", Random(100));

            (await store.GetAsync(Chunk))!.Value.ToArray().Should().Equal(value);
            Row(store.DatabasePath, Chunk).Should().Be((ValueRef.EncodedLength, 1));
            Row(store.DatabasePath, "doc/1").Should().Be((20_000, 0));
            Row(store.DatabasePath, "chunk/small").Should().Be((100, 0));
        }

        new FileInfo(SegmentPath()).Length.Should().Be(20_000);
        await using var reopened = SqliteStateStore.Open(Options());
        (await reopened.GetAsync(Chunk))!.Value.ToArray().Should().Equal(value);
        (await reopened.ScanAsync("chunk/", null, 10)).Select(i => i.Value.Length).Should().Equal(20_000, 100);
        (await reopened.GetBulkAsync([Chunk, "doc/1"])).Select(i => i.Value.Length).Should().Equal(20_000, 20_000);
    }

    [Fact]
    public async Task SetAsync_AfterReopen_AppendsAfterWhatTheLastRunWrote()
    {
        var first = Random(8_000);
        var second = Random(9_000);
        await using (var store = SqliteStateStore.Open(Options()))
        {
            await store.SetAsync("chunk/a", first);
        }

        await using (var store = SqliteStateStore.Open(Options()))
        {
            await store.SetAsync("chunk/b", second);
            (await store.GetAsync("chunk/a"))!.Value.ToArray().Should().Equal(first);
            (await store.GetAsync("chunk/b"))!.Value.ToArray().Should().Equal(second);
        }

        new FileInfo(SegmentPath()).Length.Should().Be(17_000);
    }

    [Fact]
    public async Task SetAsync_SameBytesAgain_KeepsTheStoredBytesAndTakesANewETag()
    {
        var value = Random(10_000);
        await using var store = SqliteStateStore.Open(Options());
        var created = await store.SetAsync(Chunk, value, ETag.Absent);

        var again = await store.SetAsync(Chunk, value);

        again.Should().NotBe(created);
        (await store.GetAsync(Chunk))!.ETag.Should().Be(again);
        new FileInfo(SegmentPath()).Length.Should().Be(10_000, "equal bytes are not appended twice");
    }

    [Fact]
    public async Task SetAsync_CreateOfAnExistingKey_FailsWithoutAppending()
    {
        await using var store = SqliteStateStore.Open(Options());
        await store.SetAsync(Chunk, Random(10_000), ETag.Absent);

        var act = async () => await store.SetAsync(Chunk, Random(10_000), ETag.Absent);

        await act.Should().ThrowAsync<ETagMismatchException>();
        new FileInfo(SegmentPath()).Length.Should().Be(10_000);
    }

    [Fact]
    public async Task SetAsync_DifferentBytes_AppendsAndReadsTheNewOnes()
    {
        var replacement = Random(12_000);
        await using var store = SqliteStateStore.Open(Options());
        var first = await store.SetAsync(Chunk, Random(10_000));

        await store.SetAsync(Chunk, replacement, first);

        (await store.GetAsync(Chunk))!.Value.ToArray().Should().Equal(replacement);
        new FileInfo(SegmentPath()).Length.Should().Be(22_000);
    }

    [Fact]
    public async Task GetAsync_SegmentByteFlipped_ThrowsInvalidDataAndWritingTheValueAgainRepairsIt()
    {
        var value = Random(10_000);
        await using var store = SqliteStateStore.Open(Options());
        await store.SetAsync(Chunk, value);
        await using (var segment = new FileStream(SegmentPath(), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            segment.Position = 4321;
            var b = segment.ReadByte();
            segment.Position = 4321;
            segment.WriteByte((byte)(b ^ 0x01));
        }

        var read = async () => await store.GetAsync(Chunk);
        await read.Should().ThrowAsync<InvalidDataException>().WithMessage("*do not match their checksum*");

        await store.SetAsync(Chunk, value);
        (await store.GetAsync(Chunk))!.Value.ToArray().Should().Equal(value);
    }

    [Fact]
    public async Task GetAsync_SegmentFileTruncated_ThrowsInvalidData()
    {
        await using (var store = SqliteStateStore.Open(Options()))
        {
            await store.SetAsync(Chunk, Random(10_000));
        }

        File.WriteAllBytes(SegmentPath(), new byte[5_000]);
        await using var reopened = SqliteStateStore.Open(Options());

        var read = async () => await reopened.GetAsync(Chunk);
        await read.Should().ThrowAsync<InvalidDataException>().WithMessage("*the value is lost*");
    }

    [Fact]
    public async Task SetAsync_BytesNotYetFsynced_NothingIsCommittedUntilTheyAre()
    {
        await using var store = SqliteStateStore.Open(Options());
        using var hold = new ManualResetEventSlim(false);
        using var entered = new SemaphoreSlim(0);
        store.Database.Values.BeforeSync = () =>
        {
            entered.Release();
            hold.Wait(TimeSpan.FromSeconds(30));
        };

        var value = Random(10_000);
        var write = store.SetAsync(Chunk, value).AsTask();
        (await entered.WaitAsync(TimeSpan.FromSeconds(10))).Should().BeTrue();
        await Task.Delay(50);

        write.IsCompleted.Should().BeFalse();
        (await store.GetAsync(Chunk)).Should().BeNull("the reference is committed only once its bytes are on disk");
        store.Statistics.Writes.Should().Be(0);

        store.Database.Values.BeforeSync = null;
        hold.Set();
        var etag = await write;
        var stored = await store.GetAsync(Chunk);
        stored!.Value.ToArray().Should().Equal(value);
        stored.ETag.Should().Be(etag);
    }

    [Fact]
    public async Task TransactAsync_LargeValuesAmongOthers_AllCommittedTogether()
    {
        var a = Random(30_000);
        var b = Random(5_000);
        await using var store = SqliteStateStore.Open(Options());

        await store.TransactAsync([StateOperation.Upsert("chunk/a", a), StateOperation.Upsert("chunk/b", b), StateOperation.Upsert("blob/x", Random(200))]);

        (await store.GetAsync("chunk/a"))!.Value.ToArray().Should().Equal(a);
        (await store.GetAsync("chunk/b"))!.Value.ToArray().Should().Equal(b);
        new FileInfo(SegmentPath()).Length.Should().Be(35_000);
    }

    [Fact]
    public async Task TransactAsync_SameBytesAgain_ReusesTheStoredBytes()
    {
        var value = Random(7_000);
        await using var store = SqliteStateStore.Open(Options());
        await store.TransactAsync([StateOperation.Upsert(Chunk, value)]);

        var etags = await store.TransactAsync([StateOperation.Upsert(Chunk, value), StateOperation.Upsert("chunk/other", Random(6_000))]);

        (await store.GetAsync(Chunk))!.Value.ToArray().Should().Equal(value);
        (await store.GetAsync(Chunk))!.ETag.Should().Be(etags[0]);
        new FileInfo(SegmentPath()).Length.Should().Be(13_000, "equal bytes are not appended twice");
    }

    [Fact]
    public async Task Open_FileWrittenBeforeValueSegmentsExisted_AddsTheColumnAndReadsOldRows()
    {
        var directory = root.Sub("old");
        Directory.CreateDirectory(directory);
        var value = Random(9_000);
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory, EmbeddedOptions.DatabaseFileName)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE kv (key BLOB NOT NULL PRIMARY KEY, version INTEGER NOT NULL, value BLOB NOT NULL);
                CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO meta (name, value) VALUES ('version', 7);
                INSERT INTO kv (key, version, value) VALUES (CAST('chunk/old' AS BLOB), 7, $v);
                """;
            command.Parameters.AddWithValue("$v", value);
            command.ExecuteNonQuery();
        }

        await using var store = SqliteStateStore.Open(Options("old"));

        (await store.GetAsync("chunk/old"))!.Value.ToArray().Should().Equal(value);
        await store.SetAsync("chunk/new", Random(9_000));
        Row(store.DatabasePath, "chunk/old").Should().Be((9_000, 0));
        Row(store.DatabasePath, "chunk/new").Should().Be((ValueRef.EncodedLength, 1));
    }

    [Fact]
    public async Task ValueLogPrefixes_Empty_EveryValueStaysInSqlite()
    {
        var options = Options();
        options.ValueLogPrefixes = [];
        await using var store = SqliteStateStore.Open(options);

        await store.SetAsync(Chunk, Random(20_000));

        Row(store.DatabasePath, Chunk).Should().Be((20_000, 0));
        Directory.Exists(Path.Combine(root.Sub("db"), ValueLog.DirectoryName)).Should().BeFalse();
    }

    [Fact]
    public async Task Append_PastTheSegmentSize_StartsTheNextSegment()
    {
        var options = Options();
        options.ValueSegmentBytes = 1 << 20;
        var values = Enumerable.Range(0, 3).Select(_ => Random(600_000)).ToArray();
        await using (var store = SqliteStateStore.Open(options))
        {
            for (var i = 0; i < values.Length; i++)
            {
                await store.SetAsync($"chunk/{i}", values[i]);
            }
        }

        Directory.GetFiles(Path.Combine(root.Sub("db"), ValueLog.DirectoryName)).Select(Path.GetFileName).Should().BeEquivalentTo(["00000001.seg", "00000002.seg", "00000003.seg"]);
        await using var reopened = SqliteStateStore.Open(options);
        for (var i = 0; i < values.Length; i++)
        {
            (await reopened.GetAsync($"chunk/{i}"))!.Value.ToArray().Should().Equal(values[i]);
        }
    }
}
