using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Mesh.Testing.Routing;

/// <summary>
/// Builds a minimal PDF carrying one <c>adbe.pkcs7.detached</c> signature (ISO 32000-1 §12.8):
/// a signature dictionary whose /ByteRange covers the whole file except the /Contents hole, and a
/// CMS SignedData over those bytes in the hole. Good enough for PAdES-style verification tests.
/// </summary>
public static class SignedPdf
{
    private const int ContentsHexLength = 8192;

    /// <summary>A signed PDF of about <paramref name="approximateSize"/> bytes.</summary>
    public static byte[] Create(X509Certificate2 signer, int approximateSize = 20 * 1024, string text = "Mesh test document")
    {
        ArgumentNullException.ThrowIfNull(signer);
        var filler = new StringBuilder();
        while (filler.Length < Math.Max(0, approximateSize - ContentsHexLength - 600))
        {
            filler.Append(CultureInfo.InvariantCulture, $"BT /F1 10 Tf 20 {filler.Length % 700} Td ({text}) Tj ET\n");
        }

        var head = new StringBuilder();
        head.Append("%PDF-1.7\n");
        head.Append("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
        head.Append("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
        head.Append("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n");
        head.Append(CultureInfo.InvariantCulture, $"4 0 obj\n<< /Length {filler.Length} >>\nstream\n{filler}endstream\nendobj\n");
        head.Append("5 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name (Mesh test) /ByteRange [0 0000000000 0000000000 0000000000] /Contents ");
        var before = Encoding.Latin1.GetBytes(head.ToString());
        var hole = "<" + new string('0', ContentsHexLength) + ">";
        var after = Encoding.Latin1.GetBytes(" >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
        var pdf = new byte[before.Length + hole.Length + after.Length];
        before.CopyTo(pdf, 0);
        Encoding.Latin1.GetBytes(hole).CopyTo(pdf, before.Length);
        after.CopyTo(pdf, before.Length + hole.Length);

        FillSignature(pdf, before.Length, hole.Length, signer);
        return pdf;
    }

    /// <summary>
    /// <paramref name="pdf"/> with one more <c>adbe.pkcs7.detached</c> signature appended as an
    /// incremental update (ISO 32000-1 §7.5.6), covering the whole file including the earlier
    /// signatures: how a second signer (NĐ 30: the competent person, then the agency) signs.
    /// </summary>
    public static byte[] AddSignature(byte[] pdf, X509Certificate2 signer, string name = "Mesh second signer")
    {
        ArgumentNullException.ThrowIfNull(pdf);
        ArgumentNullException.ThrowIfNull(signer);
        var head = Encoding.Latin1.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"\n{NextObjectNumber(pdf)} 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name ({name}) /ByteRange [0 0000000000 0000000000 0000000000] /Contents "));
        var hole = "<" + new string('0', ContentsHexLength) + ">";
        var tail = Encoding.Latin1.GetBytes(" >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
        var updated = new byte[pdf.Length + head.Length + hole.Length + tail.Length];
        pdf.CopyTo(updated, 0);
        head.CopyTo(updated, pdf.Length);
        Encoding.Latin1.GetBytes(hole).CopyTo(updated, pdf.Length + head.Length);
        tail.CopyTo(updated, pdf.Length + head.Length + hole.Length);
        FillSignature(updated, pdf.Length + head.Length, hole.Length, signer);
        return updated;
    }
    /// <summary>A detached CMS SignedData (SHA-256, signing time, signer certificate included) over <paramref name="content"/>.</summary>
    public static byte[] SignDetached(byte[] content, X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var cms = new SignedCms(new ContentInfo(content), detached: true);
        var cmsSigner = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signer)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        cmsSigner.SignedAttributes.Add(new Pkcs9SigningTime(DateTime.UtcNow.AddSeconds(-5)));
        cms.ComputeSignature(cmsSigner, silent: true);
        return cms.Encode();
    }

    /// <summary>The PDF without any signature dictionary (for PDF_SIGNATURE_MISSING).</summary>
    public static byte[] Unsigned(string text = "Mesh unsigned document") =>
        Encoding.Latin1.GetBytes($"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% {text}\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");

    /// <summary>Writes the /ByteRange of the last placeholder and signs everything outside the hole at <paramref name="holeStart"/>.</summary>
    private static void FillSignature(byte[] pdf, long holeStart, int holeLength, X509Certificate2 signer)
    {
        long b = holeStart;
        long c = holeStart + holeLength;
        long d = pdf.Length - c;
        var range = string.Create(CultureInfo.InvariantCulture, $"[0 {b:D10} {c:D10} {d:D10}]");
        var at = pdf.AsSpan().LastIndexOf("[0 0000000000 0000000000 0000000000]"u8);
        Encoding.Latin1.GetBytes(range).CopyTo(pdf, at);

        var signed = new byte[b + d];
        Array.Copy(pdf, 0, signed, 0, b);
        Array.Copy(pdf, c, signed, b, d);
        var cms = SignDetached(signed, signer);
        var hex = Convert.ToHexString(cms);
        if (hex.Length > ContentsHexLength)
        {
            throw new InvalidOperationException("The CMS signature does not fit the /Contents hole.");
        }

        Encoding.Latin1.GetBytes(hex).CopyTo(pdf, (int)b + 1);
    }

    private static int NextObjectNumber(byte[] pdf)
    {
        var highest = 0;
        foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(Encoding.Latin1.GetString(pdf), @"(?m)^(\d+) 0 obj"))
        {
            highest = Math.Max(highest, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        return highest + 1;
    }
}
