using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Mesh.Signature.Infrastructure;

namespace Mesh.Signature.Tests.Support;

/// <summary>
/// Writes a minimal but well-formed PDF (ISO 32000-1) with a signature field, and signs revisions
/// the way PDF signers do: placeholder ByteRange and /Contents, then the CMS over everything but the hole.
/// </summary>
internal static partial class PdfBuilder
{
    private const int ContentsHexLength = 16384;

    public static byte[] CreateSigned(X509Certificate2 signer, DateTimeOffset signingTime, string subFilter = "adbe.pkcs7.detached", bool signingTimeAttribute = true, int coverageGap = 0)
    {
        var objects = new StringBuilder();
        objects.Append("1 0 obj\n<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>\nendobj\n");
        objects.Append("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
        objects.Append("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>\nendobj\n");
        objects.Append("4 0 obj\n<< /FT /Sig /T (Signature1) /V 5 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>\nendobj\n");
        objects.Append(SignatureObject(5, subFilter, signingTime, signer));
        return SignRevision([], "%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n", objects.ToString(), 1, signer, signingTime, signingTimeAttribute, coverageGap);
    }

    /// <summary>Appends an incremental update carrying a second signature (e.g. the agency's after the person's).</summary>
    public static byte[] AppendSignature(byte[] pdf, X509Certificate2 signer, DateTimeOffset signingTime, string subFilter = "ETSI.CAdES.detached", bool signingTimeAttribute = false)
    {
        var objects = "6 0 obj\n<< /FT /Sig /T (Signature2) /V 7 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>\nendobj\n"
            + SignatureObject(7, subFilter, signingTime, signer);
        return SignRevision(pdf, "\n", objects, 6, signer, signingTime, signingTimeAttribute, 0);
    }

    /// <summary>An unsigned incremental update (e.g. someone changed the document after signing).</summary>
    public static byte[] AppendUnsignedUpdate(byte[] pdf)
    {
        var prefix = Encoding.Latin1.GetString(pdf);
        var previousXref = PreviousStartXref(prefix);
        var builder = new StringBuilder(prefix);
        builder.Append('\n');
        var offset = builder.Length;
        builder.Append("8 0 obj\n<< /Producer (modified after signing) >>\nendobj\n");
        var xref = builder.Length;
        builder.Append(CultureInfo.InvariantCulture, $"xref\n0 1\n0000000000 65535 f \n8 1\n{offset:D10} 00000 n \ntrailer\n<< /Size 9 /Root 1 0 R /Prev {previousXref} >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.Latin1.GetBytes(builder.ToString());
    }

    private static string SignatureObject(int number, string subFilter, DateTimeOffset signingTime, X509Certificate2 signer) =>
        $"{number} 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /{subFilter} /ByteRange [0 ********** ********** **********] "
        + $"/Contents <{new string('0', ContentsHexLength)}> /M (D:{signingTime.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}Z) "
        + $"/Name ({signer.GetNameInfo(X509NameType.SimpleName, false)}) /Reason (Phe duyet) >>\nendobj\n";

    private static byte[] SignRevision(byte[] prior, string header, string objects, int firstObject, X509Certificate2 signer, DateTimeOffset signingTime, bool signingTimeAttribute, int coverageGap)
    {
        var prefix = Encoding.Latin1.GetString(prior);
        var builder = new StringBuilder(prefix);
        builder.Append(header);
        var offsets = new List<int>();
        var bodyStart = builder.Length;
        builder.Append(objects);
        foreach (Match m in ObjectHeader().Matches(objects))
        {
            offsets.Add(bodyStart + m.Index);
        }

        var xref = builder.Length;
        var count = offsets.Count;
        builder.Append(prior.Length == 0 ? $"xref\n0 {count + 1}\n0000000000 65535 f \n" : $"xref\n0 1\n0000000000 65535 f \n{firstObject} {count}\n");
        foreach (var offset in offsets)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }

        var prev = prior.Length == 0 ? "" : $" /Prev {PreviousStartXref(prefix)}";
        builder.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {firstObject + count} /Root 1 0 R{prev} >>\nstartxref\n{xref}\n%%EOF\n");

        var text = builder.ToString();
        var placeholder = text.IndexOf("[0 ********** ********** **********]", prior.Length, StringComparison.Ordinal);
        var holeStart = text.IndexOf("/Contents <", placeholder, StringComparison.Ordinal) + "/Contents ".Length;
        var holeEnd = holeStart + ContentsHexLength + 2;
        var length = text.Length - holeEnd - coverageGap;
        text = text.Remove(placeholder, 36).Insert(placeholder, $"[0 {holeStart,10} {holeEnd,10} {length,10}]");
        var bytes = Encoding.Latin1.GetBytes(text);

        var signedContent = bytes[..holeStart].Concat(bytes[holeEnd..(holeEnd + length)]).ToArray();
        var cms = new SignedCms(new ContentInfo(signedContent), detached: true);
        var cmsSigner = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signer) { DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1") };
        if (signingTimeAttribute)
        {
            cmsSigner.SignedAttributes.Add(new Pkcs9SigningTime(signingTime.UtcDateTime));
        }

        cmsSigner.SignedAttributes.Add(HubSigningKey.SigningCertificateV2(signer));
        cms.ComputeSignature(cmsSigner, silent: true);
        var hex = Encoding.ASCII.GetBytes(Convert.ToHexString(cms.Encode()));
        hex.CopyTo(bytes, holeStart + 1);
        return bytes;
    }

    private static int PreviousStartXref(string pdf)
    {
        var at = pdf.LastIndexOf("startxref", StringComparison.Ordinal) + "startxref".Length;
        return int.Parse(pdf[at..].Trim().Split('\n')[0], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"(?m)^\d+ 0 obj")]
    private static partial Regex ObjectHeader();
}
