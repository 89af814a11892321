using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Mesh.Client;
using Mesh.Contracts.Audit.V1;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Mesh.Cli;

/// <summary>A leaf of the audit log proven to be in a signed checkpoint.</summary>
internal sealed record VerifiedLeaf(long LeafIndex, byte[] LeafHash, long TreeSize, byte[] RootHash, string Origin, string KeyName, int ProofLength, AuditEvent? Event, string SignedCheckpoint);

/// <summary>
/// Offline checks of the audit log (C2SP tlog-checkpoint, signed-note with Ed25519, RFC 9162
/// inclusion proofs): the hub hands over the data, nothing it says is believed unchecked.
/// </summary>
internal static class AuditProof
{
    /// <summary>
    /// Fetches the latest checkpoint, the entry at <paramref name="leafIndex"/> and its inclusion
    /// proof, and verifies all three. <paramref name="verifierKey"/> pins the log key; when null,
    /// the key the hub announces is used (trust on first use: say so to the user).
    /// </summary>
    public static async Task<VerifiedLeaf> VerifyAsync(MeshClient client, long leafIndex, string? verifierKey, CancellationToken cancellationToken)
    {
        if (leafIndex < 0)
        {
            throw new CliException($"Leaf {leafIndex} is not in any log: this hub did not record the event in its audit log.");
        }

        var checkpoint = await client.Audit.GetCheckpointAsync(new GetCheckpointRequest(), cancellationToken: cancellationToken);
        var (origin, size, root, keyName) = OpenCheckpoint(checkpoint.SignedCheckpoint, verifierKey ?? checkpoint.VerifierKey);
        if (leafIndex >= size)
        {
            throw new CliException($"Leaf {leafIndex} is not yet in the latest checkpoint (size {size}).");
        }

        var entries = await client.Audit.GetEntriesAsync(new GetEntriesRequest { Start = leafIndex, End = leafIndex + 1 }, cancellationToken: cancellationToken);
        var entry = entries.Entries.SingleOrDefault(e => e.Index == leafIndex) ?? throw new CliException($"The hub returned no entry {leafIndex}.");
        var leafHash = HashLeaf(entry.Data.Span);
        var proof = await client.Audit.GetInclusionProofAsync(new GetInclusionProofRequest { LeafIndex = leafIndex, TreeSize = size }, cancellationToken: cancellationToken);
        var hashes = proof.Hashes.Select(h => h.ToByteArray()).ToList();
        if (!VerifyInclusion(leafIndex, size, leafHash, hashes, root))
        {
            throw new CryptographicException($"The inclusion proof of leaf {leafIndex} does not lead to the checkpoint's root.");
        }

        return new VerifiedLeaf(leafIndex, leafHash, size, root, origin, keyName, hashes.Count, entry.Event, checkpoint.SignedCheckpoint);
    }

    /// <summary>Verifies a signed checkpoint with a verifier key <c>name+hash+base64(0x01‖pub)</c>; returns its origin, size and root.</summary>
    public static (string Origin, long Size, byte[] Root, string KeyName) OpenCheckpoint(string signedNote, string verifierKey)
    {
        var (name, keyId, publicKey) = ParseVerifierKey(verifierKey);
        var split = signedNote.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !signedNote.EndsWith('\n'))
        {
            throw new FormatException("The checkpoint is not a signed note.");
        }

        var text = signedNote[..(split + 1)];
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
            var message = Encoding.UTF8.GetBytes(text);
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
        if (root.Length != 32)
        {
            throw new FormatException("The checkpoint root is not a SHA-256 hash.");
        }

        return (lines[0], size, root, name);
    }

    public static (string Name, uint KeyId, byte[] PublicKey) ParseVerifierKey(string verifierKey)
    {
        var parts = verifierKey.Split('+', 3);
        if (parts.Length != 3 || !uint.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var keyId))
        {
            throw new FormatException("A log key is '<name>+<8 hex digits>+<base64 key>'.");
        }

        var payload = Convert.FromBase64String(parts[2]);
        if (payload.Length != 33 || payload[0] != 0x01)
        {
            throw new FormatException("Only Ed25519 log keys are supported.");
        }

        // The key id commits to the name and the key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4].
        var input = Encoding.UTF8.GetBytes(parts[0] + "\n").Concat(payload).ToArray();
        if (BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input)) != keyId)
        {
            throw new FormatException("The log key's id does not match its name and key.");
        }

        return (parts[0], keyId, payload[1..]);
    }

    /// <summary>RFC 9162 §2.1.1: the hash of a leaf is SHA-256(0x00 ‖ entry).</summary>
    public static byte[] HashLeaf(ReadOnlySpan<byte> entry)
    {
        var buffer = new byte[entry.Length + 1];
        entry.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    /// <summary>RFC 9162 §2.1.3.2: verifying an inclusion proof.</summary>
    public static bool VerifyInclusion(long leafIndex, long treeSize, byte[] leafHash, IReadOnlyList<byte[]> proof, byte[] rootHash)
    {
        if (leafIndex < 0 || leafIndex >= treeSize || leafHash.Length != 32 || rootHash.Length != 32)
        {
            return false;
        }

        long fn = leafIndex, sn = treeSize - 1;
        var r = leafHash;
        foreach (var p in proof)
        {
            if (sn == 0 || p.Length != 32)
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

    private static byte[] HashChildren(byte[] left, byte[] right)
    {
        var buffer = new byte[65];
        buffer[0] = 0x01;
        left.CopyTo(buffer, 1);
        right.CopyTo(buffer, 33);
        return SHA256.HashData(buffer);
    }

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    public static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}
