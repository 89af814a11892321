using Mesh.Errors;

namespace Mesh.Storage.Domain;

/// <summary>Fixed-size chunking: chunk i covers bytes [i·size, min((i+1)·size, blob size)).</summary>
/// <param name="ChunkSize">Bytes per chunk (the last chunk may be shorter).</param>
public readonly record struct ChunkLayout(int ChunkSize)
{
    public const int DefaultChunkSize = 1024 * 1024;

    public int ChunkCount(long blobSize) => checked((int)((blobSize + ChunkSize - 1) / ChunkSize));

    public int LengthOf(long blobSize, int index) => (int)Math.Min(ChunkSize, blobSize - ((long)index * ChunkSize));

    public int ChunkAt(long offset) => (int)(offset / ChunkSize);

    public long StartOf(int index) => (long)index * ChunkSize;

    /// <summary>
    /// Resolves a requested range of a blob of <paramref name="blobSize"/> bytes; a length of 0
    /// means "to the end", so that resuming a download needs only the offset.
    /// </summary>
    public static ByteRange Resolve(long blobSize, long offset, long length)
    {
        if (offset < 0 || offset > blobSize)
        {
            throw MeshException.Invalid(StorageReasons.RangeInvalid, "offset", $"must be between 0 and the blob size {blobSize}");
        }

        if (length < 0 || length > blobSize - offset)
        {
            throw MeshException.Invalid(StorageReasons.RangeInvalid, "length", $"must be between 0 and {blobSize - offset} (0: to the end)");
        }

        return new ByteRange(offset, length == 0 ? blobSize - offset : length);
    }
}

/// <summary>A resolved range of a blob.</summary>
public readonly record struct ByteRange(long Offset, long Length)
{
    public long End => Offset + Length;
}
