namespace Mesh.Signature.Domain.Crypto;

/// <summary>
/// Canonical DER check of ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3,
/// X.690 §10). .NET's own decoder accepts some BER forms (Wycheproof "MissingZero": s without the
/// leading 0x00 its sign bit requires), and accepting more than one encoding of a signature makes
/// signatures malleable, so Mesh refuses anything that is not the single DER encoding.
/// </summary>
public static class StrictDer
{
    public static bool IsCanonicalEcdsaSignature(ReadOnlySpan<byte> signature)
    {
        if (signature.Length < 8 || signature[0] != 0x30)
        {
            return false;
        }

        if (!TryReadLength(signature[1..], out var sequenceLength, out var lengthBytes))
        {
            return false;
        }

        var body = signature[(1 + lengthBytes)..];
        if (body.Length != sequenceLength)
        {
            return false; // trailing bytes or truncation
        }

        if (!TryReadPositiveInteger(ref body) || !TryReadPositiveInteger(ref body))
        {
            return false;
        }

        return body.IsEmpty;
    }

    private static bool TryReadPositiveInteger(ref ReadOnlySpan<byte> input)
    {
        if (input.Length < 3 || input[0] != 0x02)
        {
            return false;
        }

        if (!TryReadLength(input[1..], out var length, out var lengthBytes) || length == 0)
        {
            return false;
        }

        var start = 1 + lengthBytes;
        if (input.Length - start < length)
        {
            return false;
        }

        var content = input.Slice(start, length);
        if ((content[0] & 0x80) != 0)
        {
            return false; // negative
        }

        if (content[0] == 0x00 && (content.Length == 1 || (content[1] & 0x80) == 0))
        {
            return false; // zero, or a leading zero that the sign bit does not require
        }

        input = input[(start + length)..];
        return true;
    }

    // X.690 §10.1: definite form, fewest possible length octets.
    private static bool TryReadLength(ReadOnlySpan<byte> input, out int length, out int consumed)
    {
        length = 0;
        consumed = 0;
        if (input.IsEmpty)
        {
            return false;
        }

        var first = input[0];
        if (first < 0x80)
        {
            length = first;
            consumed = 1;
            return true;
        }

        var count = first & 0x7F;
        if (count is 0 or > 3 || input.Length < 1 + count || input[1] == 0)
        {
            return false; // indefinite, too long, or padded
        }

        for (var i = 0; i < count; i++)
        {
            length = (length << 8) | input[1 + i];
        }

        if (length < 0x80)
        {
            return false; // should have used the short form
        }

        consumed = 1 + count;
        return true;
    }
}
