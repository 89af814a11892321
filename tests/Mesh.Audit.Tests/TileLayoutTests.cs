using Mesh.Audit.Infrastructure;

namespace Mesh.Audit.Tests;

public sealed class TileLayoutTests
{
    [Theory]
    [InlineData(0, "000")]
    [InlineData(7, "007")]
    [InlineData(999, "999")]
    [InlineData(1000, "x001/000")]
    [InlineData(1234067, "x001/x234/067")]
    public void EncodeIndex_Number_UsesC2spGroups(long n, string expected)
    {
        var encoded = TileLayout.EncodeIndex(n);

        encoded.Should().Be(expected);
    }

    [Fact]
    public void TilePath_PartialAndFull_FollowC2sp()
    {
        var partial = TileLayout.TilePath(1, 1234067, 8);
        var full = TileLayout.TilePath(0, 3, 256);
        var bundle = TileLayout.EntriesPath(1234067, 255);

        partial.Should().Be("tile/1/x001/x234/067.p/8");
        full.Should().Be("tile/0/003");
        bundle.Should().Be("tile/entries/x001/x234/067.p/255");
    }

    [Fact]
    public void DecodeBundle_EncodedEntries_RoundTrips()
    {
        byte[][] entries = [[], [1, 2, 3], new byte[ushort.MaxValue]];

        var decoded = TileLayout.DecodeBundle(TileLayout.EncodeBundle(entries));

        decoded.Should().BeEquivalentTo(entries, o => o.WithStrictOrdering());
    }

    [Fact]
    public void DecodeBundle_Truncated_Throws()
    {
        var bundle = TileLayout.EncodeBundle([[1, 2, 3]]);

        var act = () => TileLayout.DecodeBundle(bundle.AsSpan(0, 3));

        act.Should().Throw<FormatException>();
    }
}
