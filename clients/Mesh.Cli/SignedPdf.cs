using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mesh.Client;

namespace Mesh.Cli;

/// <summary>
/// A one-page PDF with one <c>adbe.pkcs7.detached</c> signature (ISO 32000-1 §12.8): /ByteRange
/// covers the file except the /Contents hole, which holds a CMS SignedData over those bytes. The
/// hub refuses unsigned main documents (TT 41/2017), so the demo needs one; same layout as the
/// routing tests' helper in Mesh.Testing, which a console app must not reference.
/// </summary>
internal static class SignedPdf
{
    private const int ContentsHexLength = 8192;

    public static byte[] Create(X509Certificate2 signer, string text)
    {
        var stream = $"BT /F1 14 Tf 50 780 Td ({Ascii(text)}) Tj ET\n";
        var head = new StringBuilder();
        head.Append("%PDF-1.7\n");
        head.Append("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
        head.Append("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
        head.Append("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >> >>\nendobj\n");
        head.Append(CultureInfo.InvariantCulture, $"4 0 obj\n<< /Length {stream.Length} >>\nstream\n{stream}endstream\nendobj\n");
        head.Append("6 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
        head.Append("5 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name (mesh demo) /ByteRange [0 0000000000 0000000000 0000000000] /Contents ");
        var before = Encoding.Latin1.GetBytes(head.ToString());
        var hole = Encoding.Latin1.GetBytes("<" + new string('0', ContentsHexLength) + ">");
        var after = Encoding.Latin1.GetBytes(" >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
        var pdf = before.Concat(hole).Concat(after).ToArray();

        long b = before.Length, c = before.Length + hole.Length, d = pdf.Length - c;
        var range = Encoding.Latin1.GetBytes(string.Create(CultureInfo.InvariantCulture, $"[0 {b:D10} {c:D10} {d:D10}]"));
        range.CopyTo(pdf, pdf.AsSpan().IndexOf("[0 0000000000 0000000000 0000000000]"u8));

        var signed = pdf.AsSpan(0, (int)b).ToArray().Concat(pdf.AsSpan((int)c).ToArray()).ToArray();
        var hex = Convert.ToHexString(CmsSigning.SignDetached(signed, signer));
        if (hex.Length > ContentsHexLength)
        {
            throw new InvalidOperationException("The CMS signature does not fit the /Contents hole.");
        }

        Encoding.Latin1.GetBytes(hex).CopyTo(pdf, (int)b + 1);
        return pdf;
    }

    // The standard 14 fonts speak Latin-1; keep the page text ASCII and escape PDF string delimiters.
    private static string Ascii(string text) =>
        new(text.Normalize(NormalizationForm.FormD).Where(ch => ch < 128).Select(ch => ch is '(' or ')' or '\\' ? ' ' : ch).ToArray());
}
