using System.Globalization;
using System.Text;

namespace Mesh.Audit.Domain;

/// <summary>
/// A C2SP tlog-checkpoint body: origin line, decimal tree size, base64 root hash, then optional
/// extension lines. Signed as a C2SP signed note.
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash, IReadOnlyList<string> Extensions)
{
    public Checkpoint(string origin, long size, byte[] rootHash)
        : this(origin, size, rootHash, [])
    {
    }

    public string ToText()
    {
        var builder = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(RootHash)).Append('\n');
        foreach (var extension in Extensions)
        {
            builder.Append(extension).Append('\n');
        }

        return builder.ToString();
    }

    public static Checkpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.EndsWith('\n'))
        {
            throw new FormatException("A checkpoint ends with a newline.");
        }

        var lines = text[..^1].Split('\n');
        if (lines.Length < 3 || lines[0].Length == 0)
        {
            throw new FormatException("A checkpoint has an origin, a size and a root hash.");
        }

        // c2sp.org/tlog-checkpoint: size is ASCII decimal without leading zeroes.
        var sizeText = lines[1];
        if (sizeText.Length == 0 || (sizeText.Length > 1 && sizeText[0] == '0') || !sizeText.All(char.IsAsciiDigit)
            || !long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new FormatException("The checkpoint size is not a canonical decimal number.");
        }

        var root = Convert.FromBase64String(lines[2]);
        if (root.Length != MerkleHasher.HashSize || Convert.ToBase64String(root) != lines[2])
        {
            throw new FormatException("The checkpoint root is not a base64 SHA-256 hash.");
        }

        var extensions = lines[3..];
        if (extensions.Any(l => l.Length == 0))
        {
            throw new FormatException("Checkpoint extension lines must not be empty.");
        }

        return new Checkpoint(lines[0], size, root, extensions);
    }

    /// <summary>Opens a signed checkpoint: the note must carry a valid signature by <paramref name="verifier"/> and name its origin.</summary>
    public static Checkpoint Open(string signedNote, NoteVerifier verifier, string? expectedOrigin = null)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        var note = SignedNote.Parse(signedNote);
        if (!verifier.Verify(note))
        {
            throw new FormatException("The checkpoint carries no valid signature by the log key.");
        }

        var checkpoint = Parse(note.Text);
        if (expectedOrigin is not null && checkpoint.Origin != expectedOrigin)
        {
            throw new FormatException($"The checkpoint is for '{checkpoint.Origin}', not '{expectedOrigin}'.");
        }

        return checkpoint;
    }
}
