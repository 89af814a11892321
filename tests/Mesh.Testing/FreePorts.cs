using System.Net;
using System.Net.Sockets;

namespace Mesh.Testing;

/// <summary>
/// Loopback ports for servers a test starts in another process (or binds later by number). A port the
/// kernel hands out for port 0 comes from the ephemeral range, which outgoing connections of every
/// process on the machine draw from too: between releasing it and the server binding it, a client socket
/// (a Redis connection of a parallel test assembly) took it, and a five-process cluster failed to start.
/// Ports below that range are never assigned implicitly; one that binds now is handed out at most once
/// per test process.
/// </summary>
public static class FreePorts
{
    private const int Lowest = 10_000;
    private static readonly HashSet<int> Handed = [];
    private static readonly Lock Gate = new();

    public static int Next()
    {
        var (ephemeralLow, _) = EphemeralRange();
        var highest = Math.Max(Lowest + 1000, ephemeralLow);
        lock (Gate)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(Lowest, highest);
                if (Handed.Contains(port) || !Bindable(port))
                {
                    continue;
                }

                Handed.Add(port);
                return port;
            }
        }

        throw new InvalidOperationException($"No free loopback port between {Lowest} and {highest}.");
    }

    /// <summary>The kernel's ephemeral port range (Linux); the IANA range elsewhere.</summary>
    public static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (49152, 65535);
        }
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
