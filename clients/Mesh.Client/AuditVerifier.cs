using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Mesh.Client;

/// <summary>A checkpoint of the hub's audit log whose signature has been verified.</summary>
/// <param name="Origin">The log's name, first line of the checkpoint.</param>
/// <param name="TreeSize">Number of leaves the checkpoint commits to.</param>
/// <param name="RootHash">SHA-256 Merkle root of those leaves (RFC 9162).</param>
/// <param name="KeyName">Name of the log key whose signature verified.</param>
/// <param name="SignedNote">The signed note as the hub served it; keep it to prove the log's growth later.</param>
public sealed record AuditCheckpoint(string Origin, long TreeSize, byte[] RootHash, string KeyName, string SignedNote);

/// <summary>A leaf of the audit log proven to be in a signed checkpoint.</summary>
/// <param name="LeafIndex">The leaf's index (a receipt's <c>audit_leaf_index</c>).</param>
/// <param name="LeafHash">RFC 9162 leaf hash of the entry.</param>
/// <param name="Checkpoint">The verified checkpoint the proof leads to.</param>
/// <param name="ProofLength">Number of hashes in the inclusion proof.</param>
/// <param name="Event">The decoded audit event of the entry, when it decodes.</param>
public sealed record VerifiedAuditLeaf(long LeafIndex, byte[] LeafHash, AuditCheckpoint Checkpoint, int ProofLength, Mesh.Contracts.Audit.V1.AuditEvent? Event);

/// <summary>
/// Offline checks of the hub's audit log: C2SP signed checkpoints (c2sp.org/tlog-checkpoint,
/// c2sp.org/signed-note with Ed25519) and RFC 9162 inclusion and consistency proofs. Nothing the
/// hub says is believed unchecked: an inclusion proof only means something against a root from a
/// checkpoint whose signature verified with a log key the adapter trusts.
/// </summary>
public static class AuditVerifier
{
    private const int HashSize = 32;
    private const byte Ed25519KeyType = 0x01;

    /// <summary>
    /// Verifies a signed checkpoint with a verifier key <c>name+hash+base64(0x01‖public key)</c>
    /// and returns what it commits to. Signatures by other keys are ignored (cosigners may add theirs).
    /// </summary>
    /// <exception cref="FormatException">The key or the note is malformed.</exception>
    /// <exception cref="CryptographicException">No signature by the key verifies.</exception>
    public static AuditCheckpoint OpenCheckpoint(string signedNote, string verifierKey)
    {
        ArgumentNullException.ThrowIfNull(signedNote);
        ArgumentNullException.ThrowIfNull(verifierKey);
        var (name, keyId, publicKey) = ParseVerifierKey(verifierKey);
        var split = signedNote.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !signedNote.EndsWith('\n'))
        {
            throw new FormatException("The checkpoint is not a signed note.");
        }

        var text = signedNote[..(split + 1)];
        var message = Encoding.UTF8.GetBytes(text);
        var verified = false;
        foreach (var line in signedNote[(split + 2)..^1].Split('\n'))
        {
            // c2sp.org/signed-note: "— <name> <base64(key id ‖ signature)>".
            var parts = line.StartsWith("\u2014 ", StringComparison.Ordinal) ? line[2..].Split(' ') : [];
            if (parts.Length != 2 || parts[0] != name)
            {
                continue;
            }

            var payload = Convert.FromBase64String(parts[1]);
            if (payload.Length != 4 + 64 || BinaryPrimitives.ReadUInt32BigEndian(payload) != keyId)
            {
                continue;
            }

            var verifier = new Ed25519Signer();
            verifier.Init(false, new Ed25519PublicKeyParameters(publicKey, 0));
            verifier.BlockUpdate(message, 0, message.Length);
            verified |= verifier.VerifySignature(payload[4..]);
        }

        if (!verified)
        {
            throw new CryptographicException($"The checkpoint carries no valid signature by the log key {name}.");
        }

        // c2sp.org/tlog-checkpoint: origin, decimal tree size, base64 root hash, each on its own line.
        var lines = text.Split('\n');
        if (lines.Length < 4 || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new FormatException("The checkpoint body is not origin / size / root.");
        }

        var root = Convert.FromBase64String(lines[2]);
        if (root.Length != HashSize)
        {
            throw new FormatException("The checkpoint root is not a SHA-256 hash.");
        }

        return new AuditCheckpoint(lines[0], size, root, name, signedNote);
    }

    /// <summary>RFC 9162 §2.1.1: the hash of a leaf, SHA-256(0x00 ‖ entry).</summary>
    public static byte[] HashLeaf(ReadOnlySpan<byte> entry)
    {
        var buffer = new byte[entry.Length + 1];
        entry.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    /// <summary>
    /// RFC 9162 §2.1.3.2: whether <paramref name="proof"/> shows the leaf <paramref name="leafHash"/>
    /// at <paramref name="leafIndex"/> in the tree of <paramref name="treeSize"/> leaves whose root
    /// is <paramref name="rootHash"/>.
    /// </summary>
    public static bool VerifyInclusion(long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> rootHash)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (leafIndex < 0 || leafIndex >= treeSize || leafHash.Length != HashSize || rootHash.Length != HashSize)
        {
            return false;
        }

        long fn = leafIndex, sn = treeSize - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0 || p.Length != HashSize)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = HashChildren(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = HashChildren(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, rootHash);
    }

    /// <summary>
    /// RFC 9162 §2.1.4.2: whether <paramref name="proof"/> shows that the tree of
    /// <paramref name="oldSize"/> leaves with root <paramref name="oldRoot"/> is a prefix of the tree
    /// of <paramref name="newSize"/> leaves with root <paramref name="newRoot"/>, i.e. the log only
    /// grew. Equal sizes need an empty proof and equal roots; an old size of 0 proves nothing and is refused.
    /// </summary>
    public static bool VerifyConsistency(long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (oldSize <= 0 || newSize < oldSize || oldRoot.Length != HashSize || newRoot.Length != HashSize || proof.Any(p => p.Length != HashSize))
        {
            return false;
        }

        if (oldSize == newSize)
        {
            return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(oldRoot, newRoot);
        }

        // When the old tree is a complete subtree its root is the proof's implicit first node.
        var nodes = (oldSize & (oldSize - 1)) == 0 ? proof.Prepend(oldRoot.ToArray()).ToList() : [.. proof];
        if (nodes.Count == 0)
        {
            return false;
        }

        long fn = oldSize - 1, sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        byte[] fr = nodes[0], sr = nodes[0];
        foreach (var c in nodes.Skip(1))
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = HashChildren(c, fr);
                sr = HashChildren(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = HashChildren(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(fr, oldRoot) && CryptographicOperations.FixedTimeEquals(sr, newRoot);
    }

    // c2sp.org/signed-note: the key id commits to the name and the key, SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4].
    private static (string Name, uint KeyId, byte[] PublicKey) ParseVerifierKey(string verifierKey)
    {
        var parts = verifierKey.Split('+', 3);
        if (parts.Length != 3 || parts[1].Length != 8 || !uint.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var keyId))
        {
            throw new FormatException("A log key is '<name>+<8 hex digits>+<base64 key>'.");
        }

        var payload = Convert.FromBase64String(parts[2]);
        if (payload.Length != 33 || payload[0] != Ed25519KeyType)
        {
            throw new FormatException("Only Ed25519 log keys are supported.");
        }

        byte[] input = [.. Encoding.UTF8.GetBytes(parts[0] + "\n"), .. payload];
        if (BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input)) != keyId)
        {
            throw new FormatException("The log key's id does not match its name and key.");
        }

        return (parts[0], keyId, payload[1..]);
    }

    private static byte[] HashChildren(byte[] left, byte[] right)
    {
        var buffer = new byte[1 + (2 * HashSize)];
        buffer[0] = 0x01;
        left.CopyTo(buffer, 1);
        right.CopyTo(buffer, 1 + HashSize);
        return SHA256.HashData(buffer);
    }
}
