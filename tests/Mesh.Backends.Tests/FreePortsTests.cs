using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Mesh.Testing;
using Xunit;

namespace Mesh.Backends.Tests;

public sealed class FreePortsTests
{
    [Fact]
    public void Next_BelowTheEphemeralRange_DistinctAndBindable()
    {
        var (ephemeralLow, _) = FreePorts.EphemeralRange();

        var ports = Enumerable.Range(0, 20).Select(_ => FreePorts.Next()).ToList();

        ports.Should().OnlyHaveUniqueItems().And.OnlyContain(p => p >= 10_000 && p < ephemeralLow);
        using var listener = new TcpListener(IPAddress.Loopback, ports[^1]);
        listener.Start();
        ((IPEndPoint)listener.LocalEndpoint).Port.Should().Be(ports[^1]);
    }
}
