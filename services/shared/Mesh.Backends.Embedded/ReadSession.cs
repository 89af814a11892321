using Microsoft.Data.Sqlite;

namespace Mesh.Backends.Embedded;

/// <summary>
/// A rented read-only connection with its statements kept compiled; disposing returns it to the
/// database's pool. Re-preparing a statement costs more than the point read itself.
/// </summary>
internal sealed class ReadSession(SqliteDatabase owner, SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> statements = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; } = connection;

    public SqliteCommand Command(string sql)
    {
        if (!statements.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            statements.Add(sql, command);
        }

        command.Parameters.Clear();
        return command;
    }

    /// <summary>Runs <paramref name="read"/> in one read transaction, so that all it reads comes from one snapshot.</summary>
    public T InSnapshot<T>(Func<ReadSession, T> read)
    {
        Command("BEGIN;").ExecuteNonQuery();
        try
        {
            return read(this);
        }
        finally
        {
            // A pooled connection must never keep an old snapshot open: it would pin the WAL.
            Command("COMMIT;").ExecuteNonQuery();
        }
    }

    public void Dispose() => owner.Return(this);

    public void Close()
    {
        foreach (var command in statements.Values)
        {
            command.Dispose();
        }

        statements.Clear();
        Connection.Dispose();
    }
}
