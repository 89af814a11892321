using System.Net;
using System.Net.Sockets;
using Mesh.Testing;

namespace Mesh.Client.Tests;

/// <summary>
/// A TCP proxy on loopback in front of the hub that breaks connections for real: TLS and HTTP/2
/// pass through untouched, and a cut resets both sockets (RST), mid-frame, as a failing network
/// or a restarting load balancer would.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly int targetPort;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<(Socket Client, Socket Server)> live = [];
    private readonly Task accepting;
    private readonly Tripwire upstream = new();
    private readonly Tripwire downstream = new();
    private int connections;
    private int cuts;
    private int refused;
    private volatile bool refusing;

    private TcpProxy(int targetPort)
    {
        this.targetPort = targetPort;
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Connections accepted and forwarded.</summary>
    public int Connections => Volatile.Read(ref connections);

    /// <summary>Connections cut by <see cref="CutUpstreamAfter"/> or <see cref="CutDownstreamAfter"/>.</summary>
    public int Cuts => Volatile.Read(ref cuts);

    /// <summary>Bytes forwarded from clients to the hub, over every connection.</summary>
    public long UpstreamBytes => upstream.Forwarded;

    /// <summary>Bytes forwarded from the hub to clients, over every connection.</summary>
    public long DownstreamBytes => downstream.Forwarded;

    /// <summary>Connections reset at once while <see cref="Refusing"/>.</summary>
    public int Refused => Volatile.Read(ref refused);

    /// <summary>Pulsed on every accept, refusal and cut.</summary>
    public ChangeSignal Changed { get; } = new();

    /// <summary>While true, every new connection is reset as soon as it is accepted (the hub is unreachable).</summary>
    public bool Refusing
    {
        get => refusing;
        set => refusing = value;
    }

    public static TcpProxy Start(int targetPort) => new(targetPort);

    /// <summary>Once <paramref name="bytes"/> more bytes went from client to hub, resets that connection (once).</summary>
    public void CutUpstreamAfter(long bytes) => upstream.Arm(bytes);

    /// <summary>Once <paramref name="bytes"/> more bytes went from hub to client, resets that connection (once).</summary>
    public void CutDownstreamAfter(long bytes) => downstream.Arm(bytes);

    /// <summary>Resets every open connection.</summary>
    public void DropAll()
    {
        List<(Socket, Socket)> open;
        lock (live)
        {
            open = [.. live];
            live.Clear();
        }

        foreach (var (client, server) in open)
        {
            Reset(client);
            Reset(server);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        DropAll();
        try
        {
            await accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            var client = await listener.AcceptSocketAsync(stopping.Token);
            if (refusing)
            {
                Reset(client);
                Interlocked.Increment(ref refused);
                Changed.Pulse();
                continue;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, targetPort), stopping.Token);
            }
            catch (SocketException)
            {
                Reset(client);
                continue;
            }

            lock (live)
            {
                live.Add((client, server));
            }

            Interlocked.Increment(ref connections);
            Changed.Pulse();
            _ = PumpAsync(client, server, upstream);
            _ = PumpAsync(server, client, downstream);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Tripwire tripwire)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, stopping.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var forward = tripwire.Pass(read, out var cut);
                if (forward > 0)
                {
                    await to.SendAsync(buffer.AsMemory(0, forward), SocketFlags.None, stopping.Token);
                }

                if (cut)
                {
                    Interlocked.Increment(ref cuts);
                    Reset(from);
                    Reset(to);
                    Changed.Pulse();
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Reset(from);
            Reset(to);
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>A one-shot byte budget for one direction: once spent, the connection that spent it is cut.</summary>
    private sealed class Tripwire
    {
        private readonly Lock gate = new();
        private long left = -1;
        private long forwarded;

        /// <summary>Bytes let through so far.</summary>
        public long Forwarded
        {
            get
            {
                lock (gate)
                {
                    return forwarded;
                }
            }
        }

        public void Arm(long bytes)
        {
            lock (gate)
            {
                left = bytes;
            }
        }

        /// <summary>How many of <paramref name="read"/> bytes may pass; <paramref name="cut"/> when the budget runs out here.</summary>
        public int Pass(int read, out bool cut)
        {
            lock (gate)
            {
                cut = false;
                if (left < 0 || read <= left)
                {
                    left = left < 0 ? left : left - read;
                    forwarded += read;
                    return read;
                }

                var pass = (int)left;
                left = -1;
                cut = true;
                forwarded += pass;
                return pass;
            }
        }
    }
}
