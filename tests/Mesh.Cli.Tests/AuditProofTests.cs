using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Mesh.Cli.Tests;

public sealed class AuditProofTests
{
    // Tree of three leaves: root = H(H(l0, l1), l2) (RFC 9162 §2.1.1).
    private static readonly byte[][] Leaves = ["a"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray()];

    [Fact]
    public void VerifyInclusion_ProofFromTheTree_ReturnsTrue()
    {
        var (hashes, root) = Tree();

        var ok = AuditProof.VerifyInclusion(1, 3, hashes[1], [hashes[0], hashes[2]], root);

        ok.Should().BeTrue();
    }

    [Fact]
    public void VerifyInclusion_TamperedProofHash_ReturnsFalse()
    {
        var (hashes, root) = Tree();
        var tampered = (byte[])hashes[0].Clone();
        tampered[0] ^= 1;

        var ok = AuditProof.VerifyInclusion(1, 3, hashes[1], [tampered, hashes[2]], root);

        ok.Should().BeFalse();
    }

    [Fact]
    public void OpenCheckpoint_SignedByTheKey_ReturnsSizeAndRoot()
    {
        var (note, verifierKey, root) = SignedCheckpoint("mesh.test/audit", 3);

        var opened = AuditProof.OpenCheckpoint(note, verifierKey);

        opened.Size.Should().Be(3);
        opened.Root.Should().Equal(root);
        opened.Origin.Should().Be("mesh.test/audit");
    }

    [Fact]
    public void OpenCheckpoint_BodyChangedAfterSigning_Throws()
    {
        var (note, verifierKey, _) = SignedCheckpoint("mesh.test/audit", 3);
        var forged = note.Replace("\n3\n", "\n4\n", StringComparison.Ordinal);

        var act = () => AuditProof.OpenCheckpoint(forged, verifierKey);

        act.Should().Throw<CryptographicException>();
    }

    private static (byte[][] Hashes, byte[] Root) Tree()
    {
        var hashes = Leaves.Select(l => AuditProof.HashLeaf(l)).ToArray();
        return (hashes, Node(Node(hashes[0], hashes[1]), hashes[2]));
    }

    private static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    private static (string Note, string VerifierKey, byte[] Root) SignedCheckpoint(string origin, long size)
    {
        var privateKey = new Ed25519PrivateKeyParameters(new Org.BouncyCastle.Security.SecureRandom());
        var publicKey = privateKey.GeneratePublicKey().GetEncoded();
        var name = origin;
        byte[] typed = [0x01, .. publicKey];
        var keyId = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData([.. Encoding.UTF8.GetBytes(name + "\n"), .. typed]));
        var (_, root) = Tree();
        var text = $"{origin}\n{size}\n{Convert.ToBase64String(root)}\n";
        var signer = new Ed25519Signer();
        signer.Init(true, privateKey);
        var message = Encoding.UTF8.GetBytes(text);
        signer.BlockUpdate(message, 0, message.Length);
        var payload = new byte[4 + 64];
        BinaryPrimitives.WriteUInt32BigEndian(payload, keyId);
        signer.GenerateSignature().CopyTo(payload, 4);
        return ($"{text}\n\u2014 {name} {Convert.ToBase64String(payload)}\n", $"{name}+{keyId:x8}+{Convert.ToBase64String(typed)}", root);
    }
}
