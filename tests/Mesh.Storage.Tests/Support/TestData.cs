using System.Runtime.CompilerServices;

namespace Mesh.Storage.Tests.Support;

public static class TestData
{
    public const int MiB = 1024 * 1024;

    public static byte[] Random(int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Yields <paramref name="content"/> in segments of <paramref name="segmentSize"/> bytes.</summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> Segments(byte[] content, int segmentSize = 64 * 1024, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var offset = 0; offset < content.Length; offset += segmentSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return content.AsMemory(offset, Math.Min(segmentSize, content.Length - offset));
        }
    }

    /// <summary>Yields <paramref name="sent"/>, then fails as a dropped request stream does.</summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> Broken(byte[] sent, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var segment in Segments(sent, cancellationToken: cancellationToken))
        {
            yield return segment;
        }

        throw new IOException("The request stream was aborted.");
    }

    public static async Task<byte[]> ReadAllAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> content)
    {
        using var buffer = new MemoryStream();
        await foreach (var segment in content)
        {
            buffer.Write(segment.Span);
        }

        return buffer.ToArray();
    }
}

/// <summary>
/// Pseudo-random content generated on the fly into one reused buffer: large blobs for memory
/// tests without holding them in the test's own memory.
/// </summary>
public static class GeneratedContent
{
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> Segments(long size, ulong seed, int segmentSize = 256 * 1024, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new byte[segmentSize];
        var state = seed | 1;
        for (long produced = 0; produced < size; produced += segmentSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            state = Fill(buffer, state);
            await Task.Yield();
            yield return buffer.AsMemory(0, (int)Math.Min(segmentSize, size - produced));
        }
    }

    private static ulong Fill(byte[] buffer, ulong state)
    {
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(buffer.AsSpan());
        for (var i = 0; i < words.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            words[i] = state;
        }

        return state;
    }
}
