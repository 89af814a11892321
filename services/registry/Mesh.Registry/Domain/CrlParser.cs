using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mesh.Errors;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Mesh.Registry.Domain;

/// <summary>A parsed X.509 CRL (RFC 5280 §5).</summary>
internal sealed class ParsedCrl(X509Crl crl, byte[] der)
{
    public byte[] Der { get; } = der;

    public byte[] IssuerName { get; } = crl.IssuerDN.GetEncoded();

    public DateTimeOffset ThisUpdate { get; } = new(crl.ThisUpdate, TimeSpan.Zero);

    public DateTimeOffset? NextUpdate { get; } = crl.NextUpdate is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;

    public string CrlNumber { get; } = crl.GetExtensionValue(Org.BouncyCastle.Asn1.X509.X509Extensions.CrlNumber) is { } ext
        ? Org.BouncyCastle.Asn1.DerInteger.GetInstance(Org.BouncyCastle.X509.Extension.X509ExtensionUtilities.FromExtensionValue(ext)).Value.ToString()
        : "";

    public bool VerifySignature(X509Certificate2 issuer)
    {
        try
        {
            var bcIssuer = new X509CertificateParser().ReadCertificate(issuer.RawData);
            crl.Verify(bcIssuer.GetPublicKey());
            return true;
        }
        catch (Exception ex) when (ex is InvalidKeyException or SignatureException or Org.BouncyCastle.Security.Certificates.CrlException or ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>Parses DER or PEM CRLs.</summary>
internal static class CrlParser
{
    public static ParsedCrl Parse(byte[] data)
    {
        if (data is null || data.Length == 0)
        {
            throw MeshException.Invalid("CRL_REQUIRED", "crl", "is required");
        }

        var der = data;
        if (data[0] == (byte)'-')
        {
            var text = Encoding.ASCII.GetString(data);
            var begin = text.IndexOf("-----BEGIN X509 CRL-----", StringComparison.Ordinal);
            var end = text.IndexOf("-----END X509 CRL-----", StringComparison.Ordinal);
            if (begin < 0 || end < begin)
            {
                throw MeshException.Invalid("CRL_MALFORMED", "crl", "PEM input must contain an X509 CRL block");
            }

            der = Convert.FromBase64String(text[(begin + 24)..end].Trim());
        }

        try
        {
            var crl = new X509CrlParser().ReadCrl(der) ?? throw MeshException.Invalid("CRL_MALFORMED", "crl", "is not a DER X.509 CRL");
            return new ParsedCrl(crl, der);
        }
        catch (Exception ex) when (ex is not MeshException)
        {
            throw new MeshException(ErrorKind.InvalidArgument, "CRL_MALFORMED", "crl: is not a DER X.509 CRL", [new FieldViolation("crl", "is not a DER X.509 CRL")], ex);
        }
    }
}
