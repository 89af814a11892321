using System.Security.Cryptography;

namespace Mesh.Audit.Domain;

/// <summary>RFC 6962 §2.1 hashing with SHA-256 (domain-separated leaves and interior nodes).</summary>
public static class MerkleHasher
{
    public const int HashSize = 32;

    // RFC 6962 §2.1: MTH({}) = SHA-256() — the hash of the empty string.
    public static byte[] EmptyRoot { get; } = SHA256.HashData(ReadOnlySpan<byte>.Empty);

    public static byte[] HashLeaf(ReadOnlySpan<byte> entry)
    {
        var hash = new byte[HashSize];
        HashLeaf(entry, hash);
        return hash;
    }

    public static void HashLeaf(ReadOnlySpan<byte> entry, Span<byte> destination)
    {
        // One-shot hashing over a pooled copy is several times cheaper than an incremental hash object per leaf.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(entry.Length + 1);
        try
        {
            buffer[0] = 0x00;
            entry.CopyTo(buffer.AsSpan(1));
            SHA256.HashData(buffer.AsSpan(0, entry.Length + 1), destination);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[HashSize];
        HashChildren(left, right, hash);
        return hash;
    }

    public static void HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        // Interior nodes are normally two 32-byte hashes; other lengths are hashed the same way.
        var length = 1 + left.Length + right.Length;
        Span<byte> buffer = length <= 1 + (2 * HashSize) ? stackalloc byte[length] : new byte[length];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + left.Length)..]);
        SHA256.HashData(buffer, destination);
    }
}
