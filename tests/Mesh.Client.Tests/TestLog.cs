using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Mesh.Client.Tests;

/// <summary>
/// A Merkle tree built by the recursive definitions of RFC 9162 (MTH §2.1.1, PATH §2.1.3.1,
/// PROOF §2.1.4.1), independent of any implementation under test, and a log key that signs C2SP
/// checkpoints.
/// </summary>
internal sealed class TestLog(int size)
{
    private readonly byte[][] leaves = [.. Enumerable.Range(0, size).Select(i => AuditVerifier.HashLeaf(Encoding.UTF8.GetBytes($"entry {i}")))];

    public byte[] Leaf(int index) => leaves[index];

    public byte[] Root(int n) => Mth(0, n);

    public List<byte[]> InclusionProof(int index, int n) => Path(index, 0, n);

    public List<byte[]> ConsistencyProof(int m, int n) => SubProof(m, 0, n, true);

    /// <summary>A new Ed25519 log key: the signer and its verifier key <c>name+id+base64(0x01‖pub)</c>.</summary>
    public static (Ed25519PrivateKeyParameters Signer, string VerifierKey) NewKey(string name)
    {
        var key = new Ed25519PrivateKeyParameters(new SecureRandom());
        byte[] typed = [0x01, .. key.GeneratePublicKey().GetEncoded()];
        var keyId = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData([.. Encoding.UTF8.GetBytes(name + "\n"), .. typed]));
        return (key, $"{name}+{keyId:x8}+{Convert.ToBase64String(typed)}");
    }

    /// <summary>A C2SP signed checkpoint of the first <paramref name="n"/> leaves.</summary>
    public string Checkpoint(string origin, int n, Ed25519PrivateKeyParameters key, string verifierKey)
    {
        var text = $"{origin}\n{n}\n{Convert.ToBase64String(Root(n))}\n";
        var signer = new Ed25519Signer();
        signer.Init(true, key);
        var message = Encoding.UTF8.GetBytes(text);
        signer.BlockUpdate(message, 0, message.Length);
        var payload = new byte[4 + 64];
        BinaryPrimitives.WriteUInt32BigEndian(payload, Convert.ToUInt32(verifierKey.Split('+')[1], 16));
        signer.GenerateSignature().CopyTo(payload, 4);
        return $"{text}\n\u2014 {verifierKey.Split('+')[0]} {Convert.ToBase64String(payload)}\n";
    }

    /// <summary>A copy of <paramref name="hash"/> with one bit changed.</summary>
    public static byte[] Flip(byte[] hash)
    {
        var copy = (byte[])hash.Clone();
        copy[0] ^= 0x01;
        return copy;
    }

    /// <summary>A copy of <paramref name="proof"/> with hash <paramref name="index"/> changed.</summary>
    public static List<byte[]> Flip(IReadOnlyList<byte[]> proof, int index) =>
        [.. proof.Select((h, i) => i == index ? Flip(h) : h)];

    private static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    // The largest power of two smaller than n.
    private static int Split(int n)
    {
        var k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }

        return k;
    }

    private byte[] Mth(int start, int n)
    {
        if (n == 1)
        {
            return leaves[start];
        }

        var k = Split(n);
        return Node(Mth(start, k), Mth(start + k, n - k));
    }

    private List<byte[]> Path(int m, int start, int n)
    {
        if (n == 1)
        {
            return [];
        }

        var k = Split(n);
        return m < k
            ? [.. Path(m, start, k), Mth(start + k, n - k)]
            : [.. Path(m - k, start + k, n - k), Mth(start, k)];
    }

    private List<byte[]> SubProof(int m, int start, int n, bool complete)
    {
        if (m == n)
        {
            return complete ? [] : [Mth(start, n)];
        }

        var k = Split(n);
        return m <= k
            ? [.. SubProof(m, start, k, complete), Mth(start + k, n - k)]
            : [.. SubProof(m - k, start + k, n - k, false), Mth(start, k)];
    }
}
