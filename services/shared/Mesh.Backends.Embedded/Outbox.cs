using System.Globalization;
using System.Runtime.InteropServices;
using Mesh.Events;
using Microsoft.Data.Sqlite;

namespace Mesh.Backends.Embedded;

/// <summary>The SQL of the durable outbox: published events, per-group cursors and unsettled deliveries.</summary>
internal static class Outbox
{
    private const string Columns = "o.seq, o.published_at, o.id, o.source, o.type, o.topic, o.data_content_type, o.time, o.subject, o.trace_parent, o.trace_state, o.data";

    public static int EstimateBytes(CloudEvent cloudEvent) =>
        cloudEvent.Data.Length + 2 * (cloudEvent.Id.Length + cloudEvent.Source.Length + cloudEvent.Type.Length + cloudEvent.Topic.Length
            + (cloudEvent.Subject?.Length ?? 0) + (cloudEvent.TraceParent?.Length ?? 0) + (cloudEvent.TraceState?.Length ?? 0)) + 64;

    public static long Insert(WriteContext context, CloudEvent cloudEvent, string topic)
    {
        var command = context.Command("""
            INSERT INTO outbox (topic, published_at, id, source, type, data_content_type, time, subject, trace_parent, trace_state, data)
            VALUES ($topic, $now, $id, $source, $type, $dct, $time, $subject, $tp, $ts, $data) RETURNING seq;
            """);
        var p = command.Parameters;
        p.AddWithValue("$topic", topic);
        p.AddWithValue("$now", context.NowUnixMilliseconds);
        p.AddWithValue("$id", cloudEvent.Id);
        p.AddWithValue("$source", cloudEvent.Source);
        p.AddWithValue("$type", cloudEvent.Type);
        p.AddWithValue("$dct", cloudEvent.DataContentType);
        p.AddWithValue("$time", cloudEvent.Time.ToString("O", CultureInfo.InvariantCulture));
        p.AddWithValue("$subject", (object?)cloudEvent.Subject ?? DBNull.Value);
        p.AddWithValue("$tp", (object?)cloudEvent.TraceParent ?? DBNull.Value);
        p.AddWithValue("$ts", (object?)cloudEvent.TraceState ?? DBNull.Value);
        p.AddWithValue("$data", ToBlob(cloudEvent.Data));
        return (long)command.ExecuteScalar()!;
    }

    public static List<StoredEvent> ReadAfter(SqliteConnection connection, string topic, long afterSeq, int limit)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM outbox o WHERE o.topic = $topic AND o.seq > $after ORDER BY o.seq LIMIT $n;";
        command.Parameters.AddWithValue("$topic", topic);
        command.Parameters.AddWithValue("$after", afterSeq);
        command.Parameters.AddWithValue("$n", limit);
        return ReadAll(command);
    }

    public static StoredEvent? ReadOne(SqliteConnection connection, long seq)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM outbox o WHERE o.seq = $seq;";
        command.Parameters.AddWithValue("$seq", seq);
        var all = ReadAll(command);
        return all.Count == 0 ? null : all[0];
    }

    public static long ReadCursor(SqliteConnection connection, string group, string topic)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq FROM consumer_cursor WHERE grp = $g AND topic = $t;";
        command.Parameters.AddWithValue("$g", group);
        command.Parameters.AddWithValue("$t", topic);
        return command.ExecuteScalar() is long seq ? seq : 0;
    }

    public static List<(long Seq, int Attempts, long DueAt)> ReadPending(SqliteConnection connection, string group, string topic)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, attempts, due_at FROM delivery WHERE grp = $g AND topic = $t ORDER BY seq;";
        command.Parameters.AddWithValue("$g", group);
        command.Parameters.AddWithValue("$t", topic);
        var pending = new List<(long, int, long)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            pending.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2)));
        }

        return pending;
    }

    /// <summary>Records the claimed events as unsettled deliveries and moves the group's cursor past them, atomically.</summary>
    public static bool Claim(WriteContext context, string group, string topic, IReadOnlyList<StoredEvent> events)
    {
        foreach (var stored in events)
        {
            var insert = context.Command("INSERT OR IGNORE INTO delivery (grp, topic, seq, attempts, due_at) VALUES ($g, $t, $s, 0, $now);");
            insert.Parameters.AddWithValue("$g", group);
            insert.Parameters.AddWithValue("$t", topic);
            insert.Parameters.AddWithValue("$s", stored.Seq);
            insert.Parameters.AddWithValue("$now", context.NowUnixMilliseconds);
            insert.ExecuteNonQuery();
        }

        var cursor = context.Command("INSERT INTO consumer_cursor (grp, topic, seq) VALUES ($g, $t, $s) ON CONFLICT (grp, topic) DO UPDATE SET seq = max(seq, excluded.seq);");
        cursor.Parameters.AddWithValue("$g", group);
        cursor.Parameters.AddWithValue("$t", topic);
        cursor.Parameters.AddWithValue("$s", events[^1].Seq);
        cursor.ExecuteNonQuery();
        return true;
    }

    public static bool Settle(WriteContext context, string group, string topic, long seq)
    {
        var command = context.Command("DELETE FROM delivery WHERE grp = $g AND topic = $t AND seq = $s;");
        command.Parameters.AddWithValue("$g", group);
        command.Parameters.AddWithValue("$t", topic);
        command.Parameters.AddWithValue("$s", seq);
        command.ExecuteNonQuery();
        return true;
    }

    public static bool ScheduleRetry(WriteContext context, string group, string topic, long seq, int attempts, long dueAt)
    {
        var command = context.Command("UPDATE delivery SET attempts = $a, due_at = $d WHERE grp = $g AND topic = $t AND seq = $s;");
        command.Parameters.AddWithValue("$g", group);
        command.Parameters.AddWithValue("$t", topic);
        command.Parameters.AddWithValue("$s", seq);
        command.Parameters.AddWithValue("$a", attempts);
        command.Parameters.AddWithValue("$d", dueAt);
        command.ExecuteNonQuery();
        return true;
    }

    /// <summary>Deletes settled events older than the cutoff that every known consumer group of their topic has passed.</summary>
    public static int Prune(WriteContext context, long cutoffUnixMilliseconds, int limit)
    {
        var command = context.Command("""
            DELETE FROM outbox WHERE seq IN (
                SELECT o.seq FROM outbox o
                WHERE o.published_at < $cutoff
                  AND o.seq <= (SELECT min(c.seq) FROM consumer_cursor c WHERE c.topic = o.topic)
                  AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.topic = o.topic AND d.seq = o.seq)
                ORDER BY o.seq LIMIT $n);
            """);
        command.Parameters.AddWithValue("$cutoff", cutoffUnixMilliseconds);
        command.Parameters.AddWithValue("$n", limit);
        return command.ExecuteNonQuery();
    }

    private static List<StoredEvent> ReadAll(SqliteCommand command)
    {
        var events = new List<StoredEvent>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var cloudEvent = new CloudEvent(reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetFieldValue<byte[]>(11))
            {
                DataContentType = reader.GetString(6),
                Time = DateTimeOffset.ParseExact(reader.GetString(7), "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                Subject = reader.IsDBNull(8) ? null : reader.GetString(8),
                TraceParent = reader.IsDBNull(9) ? null : reader.GetString(9),
                TraceState = reader.IsDBNull(10) ? null : reader.GetString(10),
            };
            events.Add(new StoredEvent(reader.GetInt64(0), reader.GetInt64(1), cloudEvent));
        }

        return events;
    }

    private static byte[] ToBlob(ReadOnlyMemory<byte> value) =>
        MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : value.ToArray();
}

/// <summary>An event as it sits in the outbox.</summary>
internal sealed record StoredEvent(long Seq, long PublishedAt, CloudEvent Event);
