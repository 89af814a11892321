using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Mesh.Audit.Domain;

/// <summary>One signature line of a signed note: key name, 4-byte key ID, signature bytes.</summary>
public sealed record NoteSignature(string KeyName, uint KeyId, byte[] Signature)
{
    // C2SP signed-note: "— " (U+2014, U+0020), name, space, base64(key ID ‖ signature).
    public string ToLine()
    {
        var payload = new byte[4 + Signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, KeyId);
        Signature.CopyTo(payload, 4);
        return $"\u2014 {KeyName} {Convert.ToBase64String(payload)}\n";
    }
}

/// <summary>A C2SP signed note: UTF-8 text ending in a newline, a blank line, signature lines.</summary>
public sealed record SignedNote(string Text, IReadOnlyList<NoteSignature> Signatures)
{
    private const string SignaturePrefix = "\u2014 ";

    public string Format()
    {
        var builder = new StringBuilder(Text).Append('\n');
        foreach (var signature in Signatures)
        {
            builder.Append(signature.ToLine());
        }

        return builder.ToString();
    }

    public static SignedNote Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        // c2sp.org/signed-note: the signatures follow the last blank line; the text keeps its final newline.
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
        {
            throw new FormatException("A signed note needs text, a blank line and at least one signature line.");
        }

        var text = note[..(split + 1)];
        if (text.Contains('\r', StringComparison.Ordinal))
        {
            throw new FormatException("A signed note must not contain carriage returns.");
        }

        var signatures = new List<NoteSignature>();
        foreach (var line in note[(split + 2)..^1].Split('\n'))
        {
            if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal))
            {
                throw new FormatException("A signature line must start with an em dash and a space.");
            }

            var parts = line[SignaturePrefix.Length..].Split(' ');
            if (parts.Length != 2 || !NoteKeys.IsValidName(parts[0]))
            {
                throw new FormatException("A signature line is '— <name> <base64>'.");
            }

            var payload = Convert.FromBase64String(parts[1]);
            if (payload.Length < 5)
            {
                throw new FormatException("A signature must hold a 4-byte key ID and a signature.");
            }

            signatures.Add(new NoteSignature(parts[0], BinaryPrimitives.ReadUInt32BigEndian(payload), payload[4..]));
        }

        if (signatures.Count == 0)
        {
            throw new FormatException("A signed note needs at least one signature.");
        }

        return new SignedNote(text, signatures);
    }
}

/// <summary>Key name rules and key-ID derivation shared by signers and verifiers.</summary>
public static class NoteKeys
{
    public const byte Ed25519Type = 0x01;

    // c2sp.org/signed-note: names are non-empty and contain no whitespace and no '+'.
    public static bool IsValidName(string name) =>
        name.Length > 0 && !name.Any(c => char.IsWhiteSpace(c) || c == '+');

    /// <summary>c2sp.org/signed-note: key ID = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian.</summary>
    public static uint KeyId(string name, byte type, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = 0x0A;
        input[nameBytes.Length + 1] = type;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }
}

/// <summary>An Ed25519 note verifier: the vkey string <c>name+hash+base64(0x01‖pub)</c>.</summary>
public sealed class NoteVerifier
{
    private readonly Ed25519PublicKeyParameters _key;

    public NoteVerifier(string name, ReadOnlySpan<byte> publicKey)
    {
        if (!NoteKeys.IsValidName(name))
        {
            throw new FormatException($"'{name}' is not a valid key name.");
        }

        if (publicKey.Length != Ed25519PublicKeyParameters.KeySize)
        {
            throw new FormatException("An Ed25519 public key is 32 bytes.");
        }

        Name = name;
        PublicKey = publicKey.ToArray();
        _key = new Ed25519PublicKeyParameters(PublicKey, 0);
        KeyId = NoteKeys.KeyId(name, NoteKeys.Ed25519Type, PublicKey);
    }

    public string Name { get; }

    public uint KeyId { get; }

    public byte[] PublicKey { get; }

    public string VerifierKey
    {
        get
        {
            var payload = new byte[1 + PublicKey.Length];
            payload[0] = NoteKeys.Ed25519Type;
            PublicKey.CopyTo(payload, 1);
            return $"{Name}+{KeyId:x8}+{Convert.ToBase64String(payload)}";
        }
    }

    public static NoteVerifier Parse(string verifierKey)
    {
        ArgumentNullException.ThrowIfNull(verifierKey);
        var parts = verifierKey.Split('+', 3);
        if (parts.Length != 3 || parts[1].Length != 8)
        {
            throw new FormatException("A verifier key is '<name>+<8 hex digits>+<base64 key>'.");
        }

        var payload = Convert.FromBase64String(parts[2]);
        if (payload.Length != 33 || payload[0] != NoteKeys.Ed25519Type)
        {
            throw new FormatException("Only Ed25519 (type 0x01) verifier keys are supported.");
        }

        var verifier = new NoteVerifier(parts[0], payload.AsSpan(1));
        if (!uint.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var id) || id != verifier.KeyId)
        {
            throw new FormatException("The verifier key's hash does not match its name and key.");
        }

        return verifier;
    }

    public bool Verify(string text, NoteSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        if (signature.KeyName != Name || signature.KeyId != KeyId || signature.Signature.Length != Ed25519PrivateKeyParameters.SignatureSize)
        {
            return false;
        }

        var signer = new Ed25519Signer();
        signer.Init(false, _key);
        var message = Encoding.UTF8.GetBytes(text);
        signer.BlockUpdate(message, 0, message.Length);
        return signer.VerifySignature(signature.Signature);
    }

    /// <summary>
    /// True when the note carries a valid signature by this key. Signatures by other keys are
    /// ignored, as c2sp.org/signed-note requires (cosigners may add theirs).
    /// </summary>
    public bool Verify(SignedNote note)
    {
        ArgumentNullException.ThrowIfNull(note);
        return note.Signatures.Any(s => Verify(note.Text, s));
    }
}

/// <summary>An Ed25519 note signer. Its text form is Go's <c>PRIVATE+KEY+name+hash+base64(0x01‖seed)</c>.</summary>
public sealed class NoteSigner
{
    private readonly Ed25519PrivateKeyParameters _key;

    public NoteSigner(string name, ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519PrivateKeyParameters.KeySize)
        {
            throw new FormatException("An Ed25519 seed is 32 bytes.");
        }

        _key = new Ed25519PrivateKeyParameters(seed.ToArray(), 0);
        Verifier = new NoteVerifier(name, _key.GeneratePublicKey().GetEncoded());
    }

    public NoteVerifier Verifier { get; }

    public string Name => Verifier.Name;

    public static NoteSigner Generate(string name)
    {
        var seed = new byte[Ed25519PrivateKeyParameters.KeySize];
        RandomNumberGenerator.Fill(seed);
        return new NoteSigner(name, seed);
    }

    public string SignerKey
    {
        get
        {
            var payload = new byte[1 + Ed25519PrivateKeyParameters.KeySize];
            payload[0] = NoteKeys.Ed25519Type;
            _key.Encode(payload, 1);
            return $"PRIVATE+KEY+{Name}+{Verifier.KeyId:x8}+{Convert.ToBase64String(payload)}";
        }
    }

    public static NoteSigner Parse(string signerKey)
    {
        ArgumentNullException.ThrowIfNull(signerKey);
        var parts = signerKey.Trim().Split('+', 5);
        if (parts.Length != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY")
        {
            throw new FormatException("A signer key is 'PRIVATE+KEY+<name>+<hash>+<base64 key>'.");
        }

        var payload = Convert.FromBase64String(parts[4]);
        if (payload.Length != 33 || payload[0] != NoteKeys.Ed25519Type)
        {
            throw new FormatException("Only Ed25519 (type 0x01) signer keys are supported.");
        }

        var signer = new NoteSigner(parts[2], payload.AsSpan(1));
        if (!uint.TryParse(parts[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var id) || id != signer.Verifier.KeyId)
        {
            throw new FormatException("The signer key's hash does not match its name and key.");
        }

        return signer;
    }

    public NoteSignature SignText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var message = Encoding.UTF8.GetBytes(text);
        var signer = new Ed25519Signer();
        signer.Init(true, _key);
        signer.BlockUpdate(message, 0, message.Length);
        return new NoteSignature(Name, Verifier.KeyId, signer.GenerateSignature());
    }

    public SignedNote Sign(string text)
    {
        if (string.IsNullOrEmpty(text) || !text.EndsWith('\n'))
        {
            throw new ArgumentException("Note text must be non-empty and end with a newline.", nameof(text));
        }

        return new SignedNote(text, [SignText(text)]);
    }
}
