using System.Security.Cryptography;

namespace Mesh.Storage.Domain;

/// <summary>
/// A SHA-256 digest: the identity of a blob (hash of its whole content) and of each of its
/// chunks (hash of the chunk's bytes). Kept as lower-case hex because that is how it appears in
/// keys and resource names.
/// </summary>
public readonly record struct Sha256Hash
{
    public const int ByteLength = 32;

    private Sha256Hash(string hex) => Hex = hex;

    public string Hex { get; }

    public static Sha256Hash FromBytes(ReadOnlySpan<byte> digest) =>
        TryFromBytes(digest, out var hash)
            ? hash
            : throw new ArgumentException($"A SHA-256 digest has {ByteLength} bytes, not {digest.Length}.", nameof(digest));

    public static bool TryFromBytes(ReadOnlySpan<byte> digest, out Sha256Hash hash)
    {
        hash = digest.Length == ByteLength ? new Sha256Hash(Convert.ToHexStringLower(digest)) : default;
        return digest.Length == ByteLength;
    }

    public static bool TryParse(string? hex, out Sha256Hash hash)
    {
        hash = default;
        if (hex is null || hex.Length != ByteLength * 2)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[ByteLength];
        if (Convert.FromHexString(hex, digest, out _, out var written) != System.Buffers.OperationStatus.Done || written != ByteLength)
        {
            return false;
        }

        hash = FromBytes(digest);
        return true;
    }

    /// <summary>Hashes <paramref name="content"/>.</summary>
    public static Sha256Hash Of(ReadOnlySpan<byte> content)
    {
        Span<byte> digest = stackalloc byte[ByteLength];
        SHA256.HashData(content, digest);
        return FromBytes(digest);
    }

    /// <summary>True when <paramref name="content"/> hashes to this digest.</summary>
    public bool Matches(ReadOnlySpan<byte> content)
    {
        Span<byte> actual = stackalloc byte[ByteLength];
        SHA256.HashData(content, actual);
        Span<byte> expected = stackalloc byte[ByteLength];
        WriteTo(expected);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    public void WriteTo(Span<byte> destination) => Convert.FromHexString(Hex, destination, out _, out _);

    public byte[] ToArray() => Convert.FromHexString(Hex);

    public override string ToString() => Hex;
}
