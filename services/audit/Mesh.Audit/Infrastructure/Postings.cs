using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Mesh.Audit.Domain;

namespace Mesh.Audit.Infrastructure;

/// <summary>
/// Values of the secondary-index keys (<see cref="AuditKeys"/>). A plain posting is the leaf
/// indexes of one batch for one term, each a big-endian uint64, ascending. A tagged posting (the
/// hashed document and leaf-hash buckets) is pairs of the term hash's first 8 bytes and the leaf
/// index, ascending by index; a reader keeps the pairs whose tag matches and then checks the
/// entry itself, so a tag collision costs one extra read and never a wrong answer.
/// </summary>
public static class Postings
{
    private const int TaggedSize = 16;

    /// <summary>The hash a document id is bucketed and tagged by.</summary>
    public static byte[] DocumentHash(string documentId) => SHA256.HashData(Encoding.UTF8.GetBytes(documentId));

    public static ulong Tag(ReadOnlySpan<byte> hash) => BinaryPrimitives.ReadUInt64BigEndian(hash);

    public static byte[] Encode(List<long> indexes)
    {
        var buffer = new byte[indexes.Count * sizeof(long)];
        for (var i = 0; i < indexes.Count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(i * sizeof(long)), indexes[i]);
        }

        return buffer;
    }

    public static byte[] EncodeTagged(List<(ulong Tag, long Index)> postings)
    {
        var buffer = new byte[postings.Count * TaggedSize];
        for (var i = 0; i < postings.Count; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(i * TaggedSize), postings[i].Tag);
            BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan((i * TaggedSize) + 8), postings[i].Index);
        }

        return buffer;
    }

    /// <summary>Every index of a plain posting, or of a tagged one whose tag is <paramref name="tag"/>.</summary>
    public static List<long> Decode(ReadOnlySpan<byte> posting, ulong? tag)
    {
        var size = tag is null ? sizeof(long) : TaggedSize;
        if (posting.Length % size != 0)
        {
            throw new FormatException("An audit index posting is not a whole number of items.");
        }

        var result = new List<long>(tag is null ? posting.Length / size : 1);
        for (var offset = 0; offset < posting.Length; offset += size)
        {
            if (tag is null)
            {
                result.Add(BinaryPrimitives.ReadInt64BigEndian(posting[offset..]));
            }
            else if (BinaryPrimitives.ReadUInt64BigEndian(posting[offset..]) == tag)
            {
                result.Add(BinaryPrimitives.ReadInt64BigEndian(posting[(offset + 8)..]));
            }
        }

        return result;
    }

    /// <summary>The tag of a leaf hash (its own first 8 bytes: it is already a hash).</summary>
    public static ulong LeafTag(ReadOnlySpan<byte> leafHash) => leafHash.Length == MerkleHasher.HashSize ? Tag(leafHash) : throw new ArgumentException("A leaf hash is 32 bytes.", nameof(leafHash));
}
