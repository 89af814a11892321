using StackExchange.Redis;

namespace Mesh.Backends.Redis;

/// <summary>
/// The process's one multiplexed connection, opened on first use so that the host can start (and fail
/// its health check) while Redis is still coming up.
/// </summary>
public sealed class RedisConnection(RedisOptions options) : IAsyncDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private ConnectionMultiplexer? multiplexer;

    /// <summary>Key layout of this installation.</summary>
    internal RedisKeys Keys { get; } = new(options.KeyPrefix);

    /// <summary>Returns the connected multiplexer.</summary>
    public async ValueTask<IConnectionMultiplexer> GetAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref multiplexer) is { } existing)
        {
            return existing;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (multiplexer is null)
            {
                var configuration = ConfigurationOptions.Parse(options.ConnectionString);
                configuration.AbortOnConnectFail = false;
                Volatile.Write(ref multiplexer, await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken).ConfigureAwait(false));
            }

            return multiplexer;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The database, connecting first when needed.</summary>
    public async ValueTask<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken = default) =>
        (await GetAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref multiplexer, null) is { } open)
        {
            await open.CloseAsync().ConfigureAwait(false);
            await open.DisposeAsync().ConfigureAwait(false);
        }

        gate.Dispose();
    }
}

/// <summary>Every key the backend uses, under one hash tag so that multi-key scripts stay legal on Redis Cluster.</summary>
internal sealed class RedisKeys(string prefix)
{
    private readonly string tag = "{" + prefix + "}:";

    /// <summary>Prefix of the data keys; the Lua scan script appends the user key to it.</summary>
    public string DataPrefix => tag + "s:";

    public RedisKey Data(string key) => DataPrefix + key;

    /// <summary>Sorted set of every user key (all scores 0), read with ZRANGEBYLEX for ordered prefix scans.</summary>
    public RedisKey Index => tag + "index";

    /// <summary>Counter that hands out ETags; never reset, so an ETag is never reused, even after a delete.</summary>
    public RedisKey ETagCounter => tag + "etag";

    public RedisKey Stream(string topic) => tag + "stream:" + topic;

    public RedisKey Attempts(string topic, string group) => tag + "attempts:" + topic + ":" + group;

    public RedisChannel Notify(string topic) => RedisChannel.Literal(tag + "notify:" + topic);

    /// <summary>Glob matching every key of the installation (tests use it to clean up).</summary>
    public string Pattern => tag + "*";
}
