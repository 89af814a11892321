using System.Text;
using Mesh.Storage.Domain;

namespace Mesh.Storage.Tests.Domain;

public sealed class Sha256HashTests
{
    [Fact]
    public void Of_Abc_MatchesFips180Vector()
    {
        var content = Encoding.ASCII.GetBytes("abc");

        var hash = Sha256Hash.Of(content);

        hash.Hex.Should().Be("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void TryFromBytes_NotThirtyTwoBytes_ReturnsFalse(int length)
    {
        var bytes = new byte[length];

        var parsed = Sha256Hash.TryFromBytes(bytes, out _);

        parsed.Should().BeFalse();
    }

    [Fact]
    public void ToArray_FromBytes_RoundTrips()
    {
        var bytes = TestDataBytes();

        var hash = Sha256Hash.FromBytes(bytes);

        hash.ToArray().Should().Equal(bytes);
        Sha256Hash.TryParse(hash.Hex, out var parsed).Should().BeTrue();
        parsed.Should().Be(hash);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("ba7816bf")]
    public void TryParse_NotSha256Hex_ReturnsFalse(string? hex)
    {
        var parsed = Sha256Hash.TryParse(hex, out _);

        parsed.Should().BeFalse();
    }

    [Fact]
    public void Matches_OneBitFlipped_ReturnsFalse()
    {
        var content = Support.TestData.Random(1000);
        var hash = Sha256Hash.Of(content);

        content[500] ^= 0x01;

        hash.Matches(content).Should().BeFalse();
    }

    private static byte[] TestDataBytes() => [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))];
}
