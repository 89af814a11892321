using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;
using Mesh.Signature.Domain;
using Mesh.Signature.Domain.Crypto;
using Mesh.Signature.Domain.Pki;

namespace Mesh.Signature.Infrastructure;

/// <summary>
/// Verifies the XML-DSig enveloped signature of an edXML package (QCVN 102:2016; NOTES §2.3). The
/// document is loaded with DTDs prohibited and no resolver (no XXE, no entity expansion bombs), and
/// the signature must have the one shape edXML uses — one Reference URI="" with enveloped-signature
/// and C14N transforms — so wrapping attacks, external references and XSLT never reach SignedXml.
/// </summary>
public sealed class XmlSignatureReader(SignatureValidation validation)
{
    public const string EdXmlNamespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016";

    private const string Enveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

    private static readonly HashSet<string> s_canonicalizations =
    [
        SignedXml.XmlDsigC14NTransformUrl,
        SignedXml.XmlDsigC14NWithCommentsTransformUrl,
        SignedXml.XmlDsigExcC14NTransformUrl,
        SignedXml.XmlDsigExcC14NWithCommentsTransformUrl,
    ];

    private static readonly Dictionary<string, (SignatureScheme Scheme, HashAlgorithmName Hash)> s_signatureMethods = new(StringComparer.Ordinal)
    {
        ["http://www.w3.org/2000/09/xmldsig#rsa-sha1"] = (SignatureScheme.RsaPkcs1, HashAlgorithmName.SHA1),
        [SignedXml.XmlDsigRSASHA256Url] = (SignatureScheme.RsaPkcs1, HashAlgorithmName.SHA256),
        [SignedXml.XmlDsigRSASHA384Url] = (SignatureScheme.RsaPkcs1, HashAlgorithmName.SHA384),
        [SignedXml.XmlDsigRSASHA512Url] = (SignatureScheme.RsaPkcs1, HashAlgorithmName.SHA512),
        [EcdsaXmlSignature.Sha256Url] = (SignatureScheme.Ecdsa, HashAlgorithmName.SHA256),
        [EcdsaXmlSignature.Sha384Url] = (SignatureScheme.Ecdsa, HashAlgorithmName.SHA384),
        [EcdsaXmlSignature.Sha512Url] = (SignatureScheme.Ecdsa, HashAlgorithmName.SHA512),
    };

    private static readonly Dictionary<string, HashAlgorithmName> s_digestMethods = new(StringComparer.Ordinal)
    {
        ["http://www.w3.org/2000/09/xmldsig#sha1"] = HashAlgorithmName.SHA1,
        [SignedXml.XmlDsigSHA256Url] = HashAlgorithmName.SHA256,
        [SignedXml.XmlDsigSHA384Url] = HashAlgorithmName.SHA384,
        [SignedXml.XmlDsigSHA512Url] = HashAlgorithmName.SHA512,
    };

    static XmlSignatureReader() => EcdsaXmlSignature.Register();

    public ValueTask<List<SignatureEvidence>> ReadAsync(ReadOnlyMemory<byte> xml, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var e = new SignatureEvidence { SignatureId = "xml-signature", Format = SignatureFormat.XmlDsig };
        if (xml.Length > validation.Options.MaxXmlBytes)
        {
            e.Fail(SubIndication.FormatFailure, $"the XML is {xml.Length} bytes, above the limit of {validation.Options.MaxXmlBytes}");
            return ValueTask.FromResult(new List<SignatureEvidence> { e });
        }

        XmlDocument document;
        try
        {
            document = Load(xml, validation.Options.MaxXmlBytes);
        }
        catch (XmlException ex)
        {
            e.Fail(SubIndication.FormatFailure, $"the XML was refused (DTDs, entities and external resources are prohibited): {ex.Message}");
            return ValueTask.FromResult(new List<SignatureEvidence> { e });
        }

        try
        {
            Read(document, e);
        }
        catch (Exception ex) when (ex is CryptographicException or XmlException or FormatException or InvalidOperationException or ArgumentException)
        {
            e.Fail(SubIndication.FormatFailure, $"the XML signature is malformed: {ex.Message}");
        }

        return ValueTask.FromResult(new List<SignatureEvidence> { e });
    }

    public static XmlDocument Load(ReadOnlyMemory<byte> xml, int maxBytes)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            MaxCharactersInDocument = maxBytes,
            IgnoreWhitespace = false,
            IgnoreComments = false,
        };
        var document = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using var stream = new MemoryStream(xml.ToArray(), writable: false);
        using var reader = XmlReader.Create(stream, settings);
        document.Load(reader);
        return document;
    }

    private void Read(XmlDocument document, SignatureEvidence e)
    {
        var signatures = new List<XmlElement>();
        foreach (XmlElement element in document.GetElementsByTagName("Signature", SignedXml.XmlDsigNamespaceUrl))
        {
            signatures.Add(element);
        }

        foreach (XmlElement element in document.GetElementsByTagName("Signature", EdXmlNamespace))
        {
            signatures.Add(element);
        }

        if (signatures.Count == 0)
        {
            e.Fail(SubIndication.FormatFailure, "the XML carries no Signature element");
            return;
        }

        if (signatures.Count > 1)
        {
            e.Fail(SubIndication.FormatFailure, $"the XML carries {signatures.Count} Signature elements; edXML has exactly one (wrapping defence)");
            return;
        }

        var signature = signatures[0];
        if (signature.NamespaceURI == EdXmlNamespace)
        {
            // Some SDK producers emit <Signature> unprefixed under the edXML default namespace (NOTES §2.3).
            // Read it as XML-DSig so that its real defects are reported, not just the namespace.
            e.Warnings.Add("the Signature element is in the edXML namespace, not the XML-DSig namespace; read as XML-DSig");
            var rewritten = Rewrite(document, signature);
            signature.ParentNode!.ReplaceChild(rewritten, signature);
            signature = rewritten;
        }

        var ns = new XmlNamespaceManager(document.NameTable);
        ns.AddNamespace("ds", SignedXml.XmlDsigNamespaceUrl);
        var canonicalization = signature.SelectSingleNode("ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm", ns)?.Value;
        var method = signature.SelectSingleNode("ds:SignedInfo/ds:SignatureMethod/@Algorithm", ns)?.Value;
        var references = signature.SelectNodes("ds:SignedInfo/ds:Reference", ns)!;
        if (canonicalization is null || method is null || references.Count == 0)
        {
            e.Fail(SubIndication.FormatFailure, "SignedInfo lacks CanonicalizationMethod, SignatureMethod or Reference");
            return;
        }

        if (!s_canonicalizations.Contains(canonicalization))
        {
            e.Fail(SubIndication.FormatFailure, $"canonicalization {canonicalization} is not allowed (inclusive or exclusive C14N only)");
        }

        SignatureAlgorithm? algorithm = null;
        if (s_signatureMethods.TryGetValue(method, out var known))
        {
            algorithm = new SignatureAlgorithm(known.Scheme, known.Hash, method);
            e.SignatureAlgorithm = method;
            if (validation.Policy.CheckSignatureAlgorithm(algorithm) is { } problem)
            {
                e.Fail(SubIndication.CryptoConstraintsFailure, problem);
            }
        }
        else
        {
            e.Fail(SubIndication.CryptoConstraintsFailure, $"signature method {method} is not supported");
        }

        if (references.Count != 1)
        {
            e.Fail(SubIndication.FormatFailure, $"{references.Count} References; edXML signs the whole document with exactly one Reference URI=\"\"");
        }

        var reference = (XmlElement)references[0]!;
        var uri = reference.GetAttribute("URI");
        if (!reference.HasAttribute("URI") || uri.Length != 0)
        {
            e.Fail(SubIndication.FormatFailure, $"Reference URI '{uri}' refused: only the whole-document reference URI=\"\" is accepted (no external or fragment references)");
        }

        foreach (XmlElement transform in reference.SelectNodes("ds:Transforms/ds:Transform", ns)!)
        {
            var algorithmUri = transform.GetAttribute("Algorithm");
            if (algorithmUri != Enveloped && !s_canonicalizations.Contains(algorithmUri))
            {
                e.Fail(SubIndication.FormatFailure, $"transform {algorithmUri} is not allowed (only enveloped-signature and C14N; XSLT and XPath are refused)");
            }
        }

        var digestMethod = reference.SelectSingleNode("ds:DigestMethod/@Algorithm", ns)?.Value ?? "";
        if (!s_digestMethods.TryGetValue(digestMethod, out var digest))
        {
            e.Fail(SubIndication.CryptoConstraintsFailure, $"digest method '{digestMethod}' is not supported");
        }
        else
        {
            e.DigestAlgorithm = digest.Name;
            if (validation.Policy.CheckDigest(digest) is { } problem)
            {
                e.Fail(SubIndication.CryptoConstraintsFailure, problem);
            }
        }

        var certificates = signature.SelectNodes("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns)!;
        foreach (XmlNode node in certificates)
        {
            try
            {
                var facts = validation.Certificates.Get(Convert.FromBase64String(node.InnerText.Trim()));
                if (e.Signer is null)
                {
                    e.Signer = facts;
                }
                else
                {
                    e.ExtraCertificates.Add(facts);
                }
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException or System.Formats.Asn1.AsnContentException)
            {
                e.Fail(SubIndication.FormatFailure, $"KeyInfo X509Certificate is not a valid certificate (truncated or corrupt): {ex.Message}");
            }
        }

        if (e.Signer is null)
        {
            e.Fail(SubIndication.NoSigningCertificateFound, "KeyInfo carries no usable X509Certificate");
            return;
        }

        if (e.Failure is { Indication: Indication.TotalFailed } || algorithm is null)
        {
            return;
        }

        if (validation.Policy.CheckKey(e.Signer.Key) is { } keyProblem)
        {
            e.Fail(SubIndication.CryptoConstraintsFailure, $"signer key: {keyProblem}");
        }

        if (!CryptoPolicy.KeyMatches(algorithm, e.Signer.Key))
        {
            e.Fail(SubIndication.SigCryptoFailure, $"signature method {method} does not match the signer's {e.Signer.Key.Description} key");
            return;
        }

        var signedXml = new SignedXml(document);
        signedXml.LoadXml(signature);
        AsymmetricAlgorithm key = e.Signer.Certificate.GetRSAPublicKey() as AsymmetricAlgorithm ?? e.Signer.Certificate.GetECDsaPublicKey()!;
        using (key)
        {
            if (signedXml.CheckSignature(key))
            {
                return;
            }
        }

        e.Fail(
            ReferenceDigestMatches(document, signature, reference, ns) ? SubIndication.SigCryptoFailure : SubIndication.HashFailure,
            ReferenceDigestMatches(document, signature, reference, ns)
                ? "SignatureValue does not verify over SignedInfo with the signer's public key"
                : "the digest of the signed document does not match the Reference DigestValue (content changed after signing)");
    }

    // Recomputes the Reference digest with SignedXml itself on a copy without the signature (what the
    // enveloped-signature transform produces), to tell HASH_FAILURE from SIG_CRYPTO_FAILURE.
    private static bool ReferenceDigestMatches(XmlDocument document, XmlElement signature, XmlElement reference, XmlNamespaceManager ns)
    {
        var copy = (XmlDocument)document.CloneNode(deep: true);
        var copySignature = (XmlElement)copy.ImportNode(signature, deep: true);
        foreach (XmlElement candidate in copy.GetElementsByTagName("Signature", SignedXml.XmlDsigNamespaceUrl))
        {
            if (candidate.OuterXml == copySignature.OuterXml)
            {
                candidate.ParentNode!.RemoveChild(candidate);
                break;
            }
        }

        var probe = new SignedXml(copy);
        var recomputed = new Reference("") { DigestMethod = reference.SelectSingleNode("ds:DigestMethod/@Algorithm", ns)!.Value! };
        foreach (XmlElement transform in reference.SelectNodes("ds:Transforms/ds:Transform", ns)!)
        {
            var uri = transform.GetAttribute("Algorithm");
            Transform instance = uri switch
            {
                Enveloped => new XmlDsigEnvelopedSignatureTransform(),
                SignedXml.XmlDsigExcC14NTransformUrl => new XmlDsigExcC14NTransform(transform.SelectSingleNode("*[local-name()='InclusiveNamespaces']/@PrefixList")?.Value ?? ""),
                SignedXml.XmlDsigExcC14NWithCommentsTransformUrl => new XmlDsigExcC14NWithCommentsTransform(transform.SelectSingleNode("*[local-name()='InclusiveNamespaces']/@PrefixList")?.Value ?? ""),
                SignedXml.XmlDsigC14NWithCommentsTransformUrl => new XmlDsigC14NWithCommentsTransform(),
                _ => new XmlDsigC14NTransform(),
            };
            recomputed.AddTransform(instance);
        }

        probe.AddReference(recomputed);
        using var mac = new HMACSHA256(new byte[32]);
        probe.SignedInfo!.SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
        probe.ComputeSignature(mac);
        var expected = reference.SelectSingleNode("ds:DigestValue", ns)?.InnerText.Trim() ?? "";
        return recomputed.DigestValue is { } value && Convert.ToBase64String(value) == expected;
    }

    private static XmlElement Rewrite(XmlDocument document, XmlElement element)
    {
        var copy = document.CreateElement("ds", element.LocalName, SignedXml.XmlDsigNamespaceUrl);
        foreach (XmlAttribute attribute in element.Attributes)
        {
            if (attribute.Prefix != "xmlns" && attribute.Name != "xmlns")
            {
                copy.SetAttribute(attribute.LocalName, attribute.Value);
            }
        }

        foreach (XmlNode child in element.ChildNodes)
        {
            copy.AppendChild(child is XmlElement childElement && childElement.NamespaceURI == EdXmlNamespace
                ? Rewrite(document, childElement)
                : child.CloneNode(deep: true));
        }

        return copy;
    }
}
