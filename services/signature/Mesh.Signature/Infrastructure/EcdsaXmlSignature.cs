using System.Security.Cryptography;

namespace Mesh.Signature.Infrastructure;

/// <summary>
/// ECDSA for SignedXml (RFC 4051 §2.3.6 URIs), which .NET does not register. XML-DSig carries the
/// signature as r‖s (RFC 4050 §3.3), i.e. IEEE P1363 form.
/// </summary>
public static class EcdsaXmlSignature
{
    public const string Sha256Url = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
    public const string Sha384Url = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
    public const string Sha512Url = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";

    private static int s_registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 1)
        {
            return;
        }

        CryptoConfig.AddAlgorithm(typeof(Sha256Description), Sha256Url);
        CryptoConfig.AddAlgorithm(typeof(Sha384Description), Sha384Url);
        CryptoConfig.AddAlgorithm(typeof(Sha512Description), Sha512Url);
    }

    public abstract class Description : SignatureDescription
    {
        protected Description(string digest)
        {
            KeyAlgorithm = typeof(ECDsa).AssemblyQualifiedName;
            DigestAlgorithm = digest;
        }

        public override AsymmetricSignatureDeformatter CreateDeformatter(AsymmetricAlgorithm key) => new Deformatter((ECDsa)key);

        public override AsymmetricSignatureFormatter CreateFormatter(AsymmetricAlgorithm key) => new Formatter((ECDsa)key);
    }

    public sealed class Sha256Description() : Description("SHA256")
    {
        public override HashAlgorithm CreateDigest() => SHA256.Create();
    }

    public sealed class Sha384Description() : Description("SHA384")
    {
        public override HashAlgorithm CreateDigest() => SHA384.Create();
    }

    public sealed class Sha512Description() : Description("SHA512")
    {
        public override HashAlgorithm CreateDigest() => SHA512.Create();
    }

    private sealed class Deformatter(ECDsa key) : AsymmetricSignatureDeformatter
    {
        public override void SetHashAlgorithm(string strName)
        {
        }

        public override void SetKey(AsymmetricAlgorithm key)
        {
        }

        public override bool VerifySignature(byte[] rgbHash, byte[] rgbSignature) =>
            key.VerifyHash(rgbHash, rgbSignature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private sealed class Formatter(ECDsa key) : AsymmetricSignatureFormatter
    {
        public override void SetHashAlgorithm(string strName)
        {
        }

        public override void SetKey(AsymmetricAlgorithm key)
        {
        }

        public override byte[] CreateSignature(byte[] rgbHash) => key.SignHash(rgbHash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
