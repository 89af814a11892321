using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mesh.Backends.Redis;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;
using Xunit;

namespace Mesh.Backends.Tests.Redis;

/// <summary>
/// A real Redis server for the test run: the one named by <c>MESH_TEST_REDIS</c> (a StackExchange.Redis
/// connection string) when set, otherwise a <c>redis-server</c> child process on a free loopback port,
/// without persistence. Every test works under its own key prefix, so tests never see each other's data.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private Process? server;
    private ConnectionMultiplexer? admin;

    /// <summary>The connection string tests use.</summary>
    public string ConnectionString { get; private set; } = string.Empty;

    /// <summary>A connection for inspecting what the backend wrote.</summary>
    public IDatabase Database => (admin ?? throw new InvalidOperationException("The fixture is not started.")).GetDatabase();

    /// <summary>The connection the fixture inspects with.</summary>
    public IConnectionMultiplexer Multiplexer => admin ?? throw new InvalidOperationException("The fixture is not started.");

    public async Task InitializeAsync()
    {
        ConnectionString = Environment.GetEnvironmentVariable("MESH_TEST_REDIS") is { Length: > 0 } configured
            ? configured
            : await StartServerAsync();
        admin = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (admin is not null)
        {
            await admin.DisposeAsync();
        }

        if (server is not null)
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            server.Dispose();
        }
    }

    /// <summary>Options for one isolated instance.</summary>
    public RedisOptions Options(string instanceName) => new()
    {
        ConnectionString = ConnectionString,
        KeyPrefix = "mesh-test:" + instanceName,
        ConsumerName = "consumer-" + instanceName,
    };

    /// <summary>The same options as configuration, the way a host binds them.</summary>
    public IConfiguration Configuration(string instanceName, IDictionary<string, string?>? overrides = null)
    {
        var options = Options(instanceName);
        var values = new Dictionary<string, string?>
        {
            [$"{RedisOptions.SectionName}:{nameof(RedisOptions.ConnectionString)}"] = options.ConnectionString,
            [$"{RedisOptions.SectionName}:{nameof(RedisOptions.KeyPrefix)}"] = options.KeyPrefix,
            [$"{RedisOptions.SectionName}:{nameof(RedisOptions.ConsumerName)}"] = options.ConsumerName,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            values[$"{RedisOptions.SectionName}:{key}"] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    /// <summary>Deletes every key of the instance.</summary>
    public async Task DeleteInstanceAsync(string instanceName)
    {
        var keys = new RedisKeys(Options(instanceName).KeyPrefix);
        foreach (var endpoint in Multiplexer.GetEndPoints())
        {
            var found = new List<RedisKey>();
            await foreach (var key in Multiplexer.GetServer(endpoint).KeysAsync(pattern: keys.Pattern))
            {
                found.Add(key);
            }

            if (found.Count > 0)
            {
                await Database.KeyDeleteAsync([.. found]);
            }
        }
    }

    private async Task<string> StartServerAsync()
    {
        var port = FreePort();
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no" })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            server = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException(
                "The Redis tests need a real Redis server: install redis-server (apt-get install -y redis-server; .ci/run does) " +
                "or set MESH_TEST_REDIS to a connection string.", exception);
        }

        // Readiness is the server saying so, not a guessed delay.
        using var expiry = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var log = new List<string>();
        while (await server.StandardOutput.ReadLineAsync(expiry.Token) is { } line)
        {
            log.Add(line);
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                _ = server.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = server.StandardError.ReadToEndAsync(CancellationToken.None);
                return $"127.0.0.1:{port}";
            }
        }

        throw new InvalidOperationException("redis-server exited before it was ready:\n" + string.Join('\n', log) + await server.StandardError.ReadToEndAsync(CancellationToken.None));
    }

    private static int FreePort() => Mesh.Testing.FreePorts.Next();
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis-server";
}
