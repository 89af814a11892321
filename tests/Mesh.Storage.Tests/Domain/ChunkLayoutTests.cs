using Mesh.Errors;
using Mesh.Storage.Domain;

namespace Mesh.Storage.Tests.Domain;

public sealed class ChunkLayoutTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(0L, 0)]
    [InlineData(1L, 1)]
    [InlineData(MiB, 1)]
    [InlineData(MiB + 1L, 2)]
    [InlineData(1024L * MiB, 1024)]
    public void ChunkCount_BlobSize_IsCeilingOfSizeOverChunkSize(long size, int expected)
    {
        var layout = new ChunkLayout(MiB);

        var count = layout.ChunkCount(size);

        count.Should().Be(expected);
    }

    [Fact]
    public void LengthOf_LastChunk_IsTheRemainder()
    {
        var layout = new ChunkLayout(MiB);

        var length = layout.LengthOf((2L * MiB) + 10, 2);

        length.Should().Be(10);
    }

    [Fact]
    public void Resolve_LengthZero_MeansToTheEnd()
    {
        var range = ChunkLayout.Resolve(100, 30, 0);

        range.Should().Be(new ByteRange(30, 70));
    }

    [Fact]
    public void Resolve_OffsetAtEnd_IsAnEmptyRange()
    {
        var range = ChunkLayout.Resolve(100, 100, 0);

        range.Length.Should().Be(0);
    }

    [Theory]
    [InlineData(-1L, 0L)]
    [InlineData(101L, 0L)]
    [InlineData(0L, -1L)]
    [InlineData(50L, 51L)]
    public void Resolve_OutsideTheBlob_ThrowsRangeInvalid(long offset, long length)
    {
        var act = () => ChunkLayout.Resolve(100, offset, length);

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(StorageReasons.RangeInvalid);
    }
}
