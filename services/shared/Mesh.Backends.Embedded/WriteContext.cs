using Microsoft.Data.Sqlite;

namespace Mesh.Backends.Embedded;

/// <summary>What a <see cref="WriteCommand"/> may use on the writer thread: cached prepared statements and the version counter.</summary>
internal sealed class WriteContext(SqliteConnection connection, TimeProvider timeProvider, long version) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> statements = new(StringComparer.Ordinal);

    /// <summary>The last version handed out; persisted once per group commit.</summary>
    public long Version { get; set; } = version;

    public long NowUnixMilliseconds => timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    public long NextVersion() => ++Version;

    /// <summary>Keys deleted by the group being applied (also by a write rolled back to its savepoint: harmless, see <see cref="SqliteDatabase"/>).</summary>
    public List<string> Deleted { get; } = [];

    /// <summary>A prepared statement for <paramref name="sql"/> with its parameters cleared; SQLite keeps it compiled across calls.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!statements.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            statements.Add(sql, command);
        }

        command.Parameters.Clear();
        return command;
    }

    public void Dispose()
    {
        foreach (var command in statements.Values)
        {
            command.Dispose();
        }

        statements.Clear();
    }
}
