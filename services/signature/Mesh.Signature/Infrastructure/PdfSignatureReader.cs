using System.Formats.Asn1;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Mesh.Signature.Domain;

namespace Mesh.Signature.Infrastructure;

/// <summary>
/// Finds every signature dictionary of a PDF (ISO 32000-1 §12.8) and checks that its ByteRange covers
/// its whole revision except the /Contents hole, then hands the CMS to <see cref="CmsSignatureReader"/>.
/// Works on raw bytes with bounded scans instead of a full PDF object parser: hostile PDFs cannot make
/// it recurse, allocate without bound or throw, and bytes appended after a signed revision are counted exactly.
/// </summary>
public sealed partial class PdfSignatureReader(CmsSignatureReader cms, SignatureOptions options)
{
    private const int DictionaryScanLimit = 16 * 1024;

    private static readonly byte[] s_byteRange = "/ByteRange"u8.ToArray();
    private static readonly byte[] s_eof = "%%EOF"u8.ToArray();

    public async ValueTask<List<SignatureEvidence>> ReadAsync(ReadOnlyMemory<byte> pdf, CancellationToken cancellationToken)
    {
        var bytes = pdf.Span;
        if (pdf.Length > options.MaxPdfBytes)
        {
            return [Failed("pdf", $"the PDF is {pdf.Length} bytes, above the limit of {options.MaxPdfBytes}")];
        }

        if (bytes[..Math.Min(1024, bytes.Length)].IndexOf("%PDF-"u8) < 0)
        {
            return [Failed("pdf", "not a PDF: no %PDF- header in the first 1024 bytes")];
        }

        if (bytes[Math.Max(0, bytes.Length - 1024)..].IndexOf(s_eof) < 0)
        {
            return [Failed("pdf", "the PDF is truncated: no %%EOF marker at its end")];
        }

        var positions = new List<int>();
        for (var at = bytes.IndexOf(s_byteRange); at >= 0;)
        {
            positions.Add(at);
            var next = bytes[(at + s_byteRange.Length)..].IndexOf(s_byteRange);
            at = next < 0 ? -1 : at + s_byteRange.Length + next;
        }

        if (positions.Count == 0)
        {
            return [Failed("pdf", "the PDF carries no signature (no /ByteRange)")];
        }

        if (positions.Count > options.MaxSignaturesPerDocument)
        {
            return [Failed("pdf", $"{positions.Count} signatures exceed the limit of {options.MaxSignaturesPerDocument}")];
        }

        var revisionEnds = new List<long>();
        var evidence = new List<SignatureEvidence>();
        for (var i = 0; i < positions.Count; i++)
        {
            var id = $"pdf-signature-{i + 1}";
            var located = Locate(pdf, positions[i]);
            if (located.Problem is not null)
            {
                evidence.Add(Failed(id, located.Problem));
                continue;
            }

            revisionEnds.Add(located.RevisionEnd);
            var segments = new ReadOnlyMemory<byte>[] { pdf[..located.HoleStart], pdf.Slice(located.HoleEnd, (int)(located.RevisionEnd - located.HoleEnd)) };
            var signers = await cms.ReadAsync(located.Cms, segments, SignatureFormat.Pades, id, cancellationToken).ConfigureAwait(false);
            var coverage = new PdfSignatureCoverage(located.RevisionEnd, pdf.Length, located.SubFilter, located.Name, located.Reason);
            foreach (var signer in signers)
            {
                signer.Format = SignatureFormat.Pades;
                signer.Pdf = coverage;
                if (signer.SigningTime is null && located.SigningTime is { } m)
                {
                    signer.SigningTime = m;
                    signer.SigningTimeSource = SigningTimeSource.PdfSignatureDictionary;
                }

                if (located.SubFilter is "adbe.pkcs7.sha1" or "adbe.x509.rsa_sha1")
                {
                    signer.Fail(SubIndication.CryptoConstraintsFailure, $"SubFilter {located.SubFilter} relies on SHA-1 or PKCS#1 raw signatures");
                }
                else if (located.SubFilter is not ("adbe.pkcs7.detached" or "ETSI.CAdES.detached"))
                {
                    signer.Fail(SubIndication.FormatFailure, $"SubFilter '{located.SubFilter}' is not a detached CMS signature (ISO 32000-1 §12.8.3.3, EN 319 142-1)");
                }

                if (located.RevisionEnd < pdf.Length)
                {
                    var appended = pdf.Span[(int)located.RevisionEnd..];
                    var updates = Count(appended, s_eof);
                    signer.Warnings.Add($"{pdf.Length - located.RevisionEnd} bytes in {updates} incremental update(s) were appended after this signature and are not covered by it");
                }

                evidence.Add(signer);
            }
        }

        // Later revisions must be covered by later signatures; anything after the last signed revision is unsigned.
        if (revisionEnds.Count > 0 && revisionEnds.Max() < pdf.Length)
        {
            foreach (var e in evidence)
            {
                e.Warnings.Add($"the last {pdf.Length - revisionEnds.Max()} bytes of the PDF are not covered by any signature (modified after the last signature)");
            }
        }

        return evidence;
    }

    private static Located Locate(ReadOnlyMemory<byte> pdf, int position)
    {
        var bytes = pdf.Span;
        var tail = Encoding.Latin1.GetString(bytes.Slice(position, Math.Min(128, bytes.Length - position)));
        var match = ByteRangePattern().Match(tail);
        if (!match.Success)
        {
            return Located.Fail("the /ByteRange entry is not an array of four non-negative integers");
        }

        if (!long.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var a)
            || !long.TryParse(match.Groups[2].Value, CultureInfo.InvariantCulture, out var b)
            || !long.TryParse(match.Groups[3].Value, CultureInfo.InvariantCulture, out var c)
            || !long.TryParse(match.Groups[4].Value, CultureInfo.InvariantCulture, out var d))
        {
            return Located.Fail("the /ByteRange numbers are out of range");
        }

        if (a != 0 || b <= 0 || c <= b + 1 || d < 0)
        {
            return Located.Fail($"ByteRange [{a} {b} {c} {d}] must start at 0 and leave exactly one hole (ISO 32000-1 §12.8.1)");
        }

        if (c + d > bytes.Length)
        {
            return Located.Fail($"ByteRange [{a} {b} {c} {d}] extends beyond the end of the file ({bytes.Length} bytes): truncated PDF");
        }

        if (position >= b && position < c)
        {
            return Located.Fail("the /ByteRange entry lies inside its own signature hole");
        }

        var hole = bytes[(int)b..(int)c];
        if (hole[0] != (byte)'<' || hole[^1] != (byte)'>')
        {
            return Located.Fail("the ByteRange hole is not exactly the /Contents hexadecimal string");
        }

        var before = bytes[Math.Max(0, (int)b - 32)..(int)b].TrimEnd(" \t\r\n"u8);
        if (!before.EndsWith("/Contents"u8))
        {
            return Located.Fail("the ByteRange hole does not follow a /Contents key");
        }

        // The signed revision must end with its own %%EOF (optionally followed by an end-of-line).
        var revisionEnd = c + d;
        var revisionTail = bytes[Math.Max(0, (int)revisionEnd - 16)..(int)revisionEnd].TrimEnd(" \t\r\n"u8);
        if (!revisionTail.EndsWith(s_eof))
        {
            return Located.Fail($"ByteRange ends at byte {revisionEnd}, which is not the end of a revision (%%EOF): the signature does not cover its whole revision");
        }

        if (DecodeHex(hole[1..^1]) is not { } cmsBytes)
        {
            return Located.Fail("the /Contents string is not valid hexadecimal");
        }

        ReadOnlyMemory<byte> cmsValue;
        try
        {
            AsnDecoder.ReadEncodedValue(cmsBytes, AsnEncodingRules.BER, out _, out _, out var consumed);
            if (cmsBytes.AsSpan(consumed).ContainsAnyExcept((byte)0))
            {
                return Located.Fail("the /Contents string has data after the CMS signature");
            }

            cmsValue = cmsBytes.AsMemory(0, consumed);
        }
        catch (AsnContentException e)
        {
            return Located.Fail($"the /Contents string is not a DER/BER value: {e.Message}");
        }

        var dictionary = DictionaryText(bytes, position, (int)b, (int)c);
        var subFilter = SubFilterPattern().Match(dictionary) is { Success: true } sf ? sf.Groups[1].Value : "";
        var signingTime = SigningTimePattern().Match(dictionary) is { Success: true } m ? ParsePdfDate(m.Groups[1].Value) : null;
        var name = NamePattern().Match(dictionary) is { Success: true } n ? n.Groups[1].Value : null;
        var reason = ReasonPattern().Match(dictionary) is { Success: true } r ? r.Groups[1].Value : null;
        return new Located(null, (int)b, (int)c, revisionEnd, cmsValue, subFilter, signingTime, name, reason);
    }

    // The /Contents hex string (line breaks and spaces allowed between digits, as writers wrap it) decoded
    // straight from the file's bytes: no intermediate strings for the several kilobytes of a signature.
    private static byte[]? DecodeHex(ReadOnlySpan<byte> hex)
    {
        var digits = 0;
        foreach (var c in hex)
        {
            if (Nibble(c) >= 0)
            {
                digits++;
            }
            else if (c is not ((byte)' ' or (byte)'\r' or (byte)'\n'))
            {
                return null;
            }
        }

        if (digits % 2 != 0)
        {
            return null;
        }

        var decoded = new byte[digits / 2];
        var high = -1;
        var at = 0;
        foreach (var c in hex)
        {
            var nibble = Nibble(c);
            if (nibble < 0)
            {
                continue;
            }

            if (high < 0)
            {
                high = nibble;
            }
            else
            {
                decoded[at++] = (byte)((high << 4) | nibble);
                high = -1;
            }
        }

        return decoded;
    }

    private static int Nibble(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    // The signature dictionary text around /ByteRange, without the Contents hole, bounded both ways.
    private static string DictionaryText(ReadOnlySpan<byte> bytes, int position, int holeStart, int holeEnd)
    {
        var start = Math.Max(0, Math.Min(position, holeStart) - DictionaryScanLimit);
        var head = bytes[start..Math.Min(position, holeStart)];
        var objStart = head.LastIndexOf(" obj"u8);
        var from = objStart < 0 ? start : start + objStart;
        var afterStart = Math.Max(position, holeEnd);
        var after = bytes[afterStart..Math.Min(bytes.Length, afterStart + DictionaryScanLimit)];
        var endObj = after.IndexOf("endobj"u8);
        var to = endObj < 0 ? afterStart + after.Length : afterStart + endObj;
        var builder = new StringBuilder();
        builder.Append(Encoding.Latin1.GetString(bytes[from..Math.Min(position, holeStart)]));
        if (position > holeEnd)
        {
            builder.Append(Encoding.Latin1.GetString(bytes[holeEnd..position]));
        }
        else if (position < holeStart)
        {
            builder.Append(Encoding.Latin1.GetString(bytes[position..holeStart]));
        }

        builder.Append(Encoding.Latin1.GetString(bytes[afterStart..to]));
        return builder.ToString();
    }

    // ISO 32000-1 §7.9.4: D:YYYYMMDDHHmmSSOHH'mm'
    private static DateTimeOffset? ParsePdfDate(string value)
    {
        var m = PdfDatePattern().Match(value);
        if (!m.Success)
        {
            return null;
        }

        int Part(int group, int fallback) => m.Groups[group].Success && m.Groups[group].Value.Length > 0 ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : fallback;
        try
        {
            var offset = TimeSpan.Zero;
            if (m.Groups[7].Value is "+" or "-")
            {
                offset = new TimeSpan(Part(8, 0), Part(9, 0), 0);
                if (m.Groups[7].Value == "-")
                {
                    offset = -offset;
                }
            }

            return new DateTimeOffset(Part(1, 1), Part(2, 1), Part(3, 1), Part(4, 0), Part(5, 0), Part(6, 0), offset).ToUniversalTime();
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static int Count(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        var count = 0;
        for (var i = haystack.IndexOf(needle); i >= 0; i = haystack.IndexOf(needle))
        {
            count++;
            haystack = haystack[(i + needle.Length)..];
        }

        return count;
    }

    private static SignatureEvidence Failed(string id, string reason)
    {
        var e = new SignatureEvidence { SignatureId = id, Format = SignatureFormat.Pades };
        e.Fail(SubIndication.FormatFailure, reason);
        return e;
    }

    [GeneratedRegex(@"^/ByteRange\s*\[\s*(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s*\]")]
    private static partial Regex ByteRangePattern();

    [GeneratedRegex(@"/SubFilter\s*/([A-Za-z0-9._#-]{1,64})")]
    private static partial Regex SubFilterPattern();

    [GeneratedRegex(@"/M\s*\((D:[0-9Z+\-']{4,32})\)")]
    private static partial Regex SigningTimePattern();

    [GeneratedRegex(@"/Name\s*\(([^)]{0,256})\)")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"/Reason\s*\(([^)]{0,512})\)")]
    private static partial Regex ReasonPattern();

    [GeneratedRegex(@"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Z+\-])?(\d{2})?'?(\d{2})?'?$")]
    private static partial Regex PdfDatePattern();

    private sealed record Located(
        string? Problem,
        int HoleStart,
        int HoleEnd,
        long RevisionEnd,
        ReadOnlyMemory<byte> Cms,
        string SubFilter,
        DateTimeOffset? SigningTime,
        string? Name,
        string? Reason)
    {
        public static Located Fail(string problem) => new(problem, 0, 0, 0, default, "", null, null, null);
    }
}
