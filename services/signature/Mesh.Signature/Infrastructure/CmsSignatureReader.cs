using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain;
using Mesh.Signature.Domain.Crypto;
using Mesh.Signature.Domain.Pki;

namespace Mesh.Signature.Infrastructure;

/// <summary>
/// Reads CMS SignedData (RFC 5652) and CAdES-BES (EN 319 122-1) signatures. Decoded with AsnReader
/// rather than SignedCms so that the exact signed-attribute bytes, the raw ECDSA signature (for the
/// strict-DER rule) and every malformation are under our control, and the warm path allocates little.
/// </summary>
public sealed class CmsSignatureReader(SignatureValidation validation)
{
    private static readonly Asn1Tag s_context0 = new(TagClass.ContextSpecific, 0, true);
    private static readonly Asn1Tag s_context1 = new(TagClass.ContextSpecific, 1, true);
    private static readonly Asn1Tag s_context0Primitive = new(TagClass.ContextSpecific, 0);

    /// <summary>Reads every SignerInfo into evidence; a structural failure yields one FORMAT_FAILURE evidence.</summary>
    /// <param name="content">Detached content as one or more segments (PDF ByteRange), or null for attached content.</param>
    public async ValueTask<List<SignatureEvidence>> ReadAsync(
        ReadOnlyMemory<byte> cms,
        IReadOnlyList<ReadOnlyMemory<byte>>? content,
        SignatureFormat baseFormat,
        string idPrefix,
        CancellationToken cancellationToken)
    {
        ParsedSignedData parsed;
        try
        {
            parsed = Parse(cms);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException or InvalidOperationException or FormatException)
        {
            var failed = new SignatureEvidence { SignatureId = idPrefix, Format = baseFormat };
            failed.Fail(SubIndication.FormatFailure, $"not a well-formed CMS SignedData: {e.Message}");
            return [failed];
        }

        var evidence = new List<SignatureEvidence>(parsed.Signers.Count);
        if (parsed.Signers.Count == 0)
        {
            var none = new SignatureEvidence { SignatureId = idPrefix, Format = baseFormat };
            none.Fail(SubIndication.FormatFailure, "the CMS SignedData has no SignerInfo");
            evidence.Add(none);
            return evidence;
        }

        if (parsed.Signers.Count > validation.Options.MaxSignaturesPerDocument)
        {
            var many = new SignatureEvidence { SignatureId = idPrefix, Format = baseFormat };
            many.Fail(SubIndication.FormatFailure, $"{parsed.Signers.Count} signers exceed the limit of {validation.Options.MaxSignaturesPerDocument}");
            return [many];
        }

        IReadOnlyList<ReadOnlyMemory<byte>>? signedContent = content;
        string? contentProblem = null;
        if (parsed.EncapsulatedContent is { } attached)
        {
            if (content is not null && !SameBytes(content, attached))
            {
                contentProblem = "the content supplied differs from the content encapsulated in the signature";
            }

            signedContent = [attached];
        }

        for (var i = 0; i < parsed.Signers.Count; i++)
        {
            var id = parsed.Signers.Count == 1 ? idPrefix : $"{idPrefix}/signer-{i + 1}";
            var e = new SignatureEvidence { SignatureId = id, Format = baseFormat };
            e.ExtraCertificates.AddRange(parsed.Certificates);
            e.ExtraCrls.AddRange(parsed.Crls);
            e.Warnings.AddRange(parsed.Problems);
            try
            {
                await ReadSignerAsync(parsed, parsed.Signers[i], signedContent, contentProblem, e, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AsnContentException or CryptographicException or ArgumentException or InvalidOperationException or FormatException)
            {
                e.Fail(SubIndication.FormatFailure, $"malformed SignerInfo: {ex.Message}");
            }

            evidence.Add(e);
        }

        return evidence;
    }

    private async ValueTask ReadSignerAsync(
        ParsedSignedData parsed,
        ParsedSigner signer,
        IReadOnlyList<ReadOnlyMemory<byte>>? content,
        string? contentProblem,
        SignatureEvidence e,
        CancellationToken cancellationToken)
    {
        var policy = validation.Policy;

        // Signed attributes (RFC 5652 §5.3, §11).
        ReadOnlyMemory<byte>? contentTypeValue = null;
        byte[]? messageDigest = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        ReadOnlyMemory<byte>? essCertId = null;
        var essIsV2 = false;
        if (signer.SignedAttributes is { } attributes)
        {
            var set = new AsnReader(attributes, AsnEncodingRules.DER).ReadSetOf(skipSortOrderValidation: true, expectedTag: s_context0);
            while (set.HasData)
            {
                var attribute = set.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf(skipSortOrderValidation: true);
                attribute.ThrowIfNotEmpty();
                if (!seen.Add(type))
                {
                    e.Fail(SubIndication.FormatFailure, $"signed attribute {type} appears more than once");
                    continue;
                }

                var value = values.ReadEncodedValue();
                if (values.HasData && type is Oids.ContentType or Oids.MessageDigest or Oids.SigningTime or Oids.SigningCertificate or Oids.SigningCertificateV2)
                {
                    e.Fail(SubIndication.FormatFailure, $"signed attribute {type} must have exactly one value");
                }

                switch (type)
                {
                    case Oids.ContentType:
                        contentTypeValue = value;
                        break;
                    case Oids.MessageDigest:
                        messageDigest = new AsnReader(value, AsnEncodingRules.DER).ReadOctetString();
                        break;
                    case Oids.SigningTime:
                        var timeReader = new AsnReader(value, AsnEncodingRules.DER);
                        e.SigningTime = timeReader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? timeReader.ReadUtcTime() : timeReader.ReadGeneralizedTime();
                        e.SigningTimeSource = SigningTimeSource.SigningTimeAttribute;
                        break;
                    case Oids.SigningCertificateV2:
                        essCertId = value;
                        essIsV2 = true;
                        break;
                    case Oids.SigningCertificate when essCertId is null:
                        essCertId = value;
                        break;
                }
            }

            if (contentTypeValue is null || messageDigest is null)
            {
                e.Fail(SubIndication.FormatFailure, "signed attributes must include content-type and message-digest (RFC 5652 §5.3)");
            }
            else if (new AsnReader(contentTypeValue.Value, AsnEncodingRules.DER).ReadObjectIdentifier() != parsed.ContentType)
            {
                e.Fail(SubIndication.FormatFailure, "the content-type attribute differs from eContentType (RFC 5652 §11.1)");
            }
        }
        else if (parsed.ContentType != Oids.Data)
        {
            e.Fail(SubIndication.FormatFailure, "signed attributes are required when eContentType is not id-data (RFC 5652 §5.3)");
        }

        if (essCertId is not null)
        {
            e.Format = e.Format == SignatureFormat.Cms ? SignatureFormat.CadesBes : e.Format;
        }
        else if (validation.Options.RequireSigningCertificateAttribute)
        {
            e.Fail(SubIndication.FormatFailure, "CAdES-BES requires the ESS signing-certificate-v2 signed attribute (EN 319 122-1 §5.2.2.3)");
        }

        // Algorithms and cryptographic constraints.
        var digest = Algorithms.DigestFromOid(signer.DigestAlgorithmOid);
        e.DigestAlgorithm = digest?.Name ?? signer.DigestAlgorithmOid;
        var algorithm = Algorithms.FromOid(signer.SignatureAlgorithmOid, signer.SignatureAlgorithmParameters, digest);
        e.SignatureAlgorithm = algorithm.Name;
        if (digest is null)
        {
            e.Fail(SubIndication.FormatFailure, $"unknown digest algorithm {signer.DigestAlgorithmOid}");
        }
        else if (policy.CheckDigest(digest.Value) is { } digestProblem)
        {
            e.Fail(SubIndication.CryptoConstraintsFailure, digestProblem);
        }

        if (policy.CheckSignatureAlgorithm(algorithm) is { } algorithmProblem)
        {
            e.Fail(SubIndication.CryptoConstraintsFailure, algorithmProblem);
        }

        // Signing certificate (RFC 5652 §5.3 sid; EN 319 102-1 §5.2.3).
        var certificate = FindSigner(signer, parsed.Certificates);
        if (certificate is null)
        {
            var trust = await validation.GetTrustAsync(cancellationToken).ConfigureAwait(false);
            certificate = FindSigner(signer, trust.KnownCertificates) ?? FindSigner(signer, trust.Intermediates);
        }

        e.Signer = certificate;
        if (certificate is null)
        {
            e.Fail(SubIndication.NoSigningCertificateFound, "no certificate matching the SignerInfo sid in the signature or the registry");
            return;
        }

        if (essCertId is { } ess && !EssCertIdMatches(ess.Span, essIsV2, certificate))
        {
            e.Fail(SubIndication.NoSigningCertificateFound, "the ESS signing-certificate attribute does not identify the certificate that matches sid (RFC 5035 §5.4)");
        }

        if (policy.CheckKey(certificate.Key) is { } keyProblem)
        {
            e.Fail(SubIndication.CryptoConstraintsFailure, $"signer key: {keyProblem}");
        }

        if (!CryptoPolicy.KeyMatches(algorithm, certificate.Key) && algorithm.Scheme != SignatureScheme.Unknown)
        {
            e.Fail(SubIndication.SigCryptoFailure, $"signature algorithm {algorithm.Name} does not match the signer's {certificate.Key.Description} key");
            return;
        }

        // Signed data and message digest.
        if (content is null)
        {
            e.Fail(SubIndication.SignedDataNotFound, "the signature is detached and no content was supplied");
            return;
        }

        if (contentProblem is not null)
        {
            e.Fail(SubIndication.HashFailure, contentProblem);
        }

        if (digest is { } d && IsComputable(d))
        {
            if (signer.SignedAttributes is null)
            {
                if (algorithm.Scheme != SignatureScheme.Unknown && IsComputable(algorithm.Hash)
                    && !certificate.Key.VerifyHash(algorithm, Hash(algorithm.Hash, content), signer.Signature))
                {
                    e.Fail(SubIndication.SigCryptoFailure, "the signature value does not verify with the signer's public key");
                }
            }
            else if (messageDigest is not null)
            {
                var actual = Hash(d, content);
                if (!CryptographicOperations.FixedTimeEquals(actual, messageDigest))
                {
                    e.Fail(SubIndication.HashFailure, $"the {d.Name} digest of the signed content does not match the message-digest attribute");
                }
            }
        }

        if (signer.SignedAttributes is { } signedAttributes && algorithm.Scheme != SignatureScheme.Unknown && IsComputable(algorithm.Hash))
        {
            // RFC 5652 §5.4: the signature covers the DER of the attributes with an explicit SET OF tag.
            var toBeSigned = signedAttributes.ToArray();
            toBeSigned[0] = 0x31;
            if (!certificate.Key.Verify(algorithm, toBeSigned, signer.Signature))
            {
                e.Fail(SubIndication.SigCryptoFailure, algorithm.Scheme == SignatureScheme.Ecdsa && !StrictDer.IsCanonicalEcdsaSignature(signer.Signature)
                    ? "the ECDSA signature is not canonical DER"
                    : "the signature value does not verify with the signer's public key");
            }
        }

        if (signer.TimeStampToken is { } token)
        {
            await ApplyTimestampAsync(token, signer.Signature, e, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask ApplyTimestampAsync(ReadOnlyMemory<byte> tokenBytes, byte[] signatureValue, SignatureEvidence e, CancellationToken cancellationToken)
    {
        // CAdES-T (EN 319 122-1 §5.3): the token's imprint is over the SignerInfo signature value.
        if (!Rfc3161TimestampToken.TryDecode(tokenBytes, out var token, out _))
        {
            e.Warnings.Add("signature time-stamp token is malformed and was ignored");
            return;
        }

        if (Algorithms.DigestFromOid(token.TokenInfo.HashAlgorithmId.Value ?? "") is not { } imprintHash || validation.Policy.CheckDigest(imprintHash) is not null)
        {
            e.Warnings.Add($"signature time-stamp uses refused imprint hash {token.TokenInfo.HashAlgorithmId.Value}; ignored");
            return;
        }

        var candidates = new X509Certificate2Collection();
        foreach (var c in e.ExtraCertificates)
        {
            candidates.Add(c.Certificate);
        }

        if (!token.VerifySignatureForData(signatureValue, out var tsaCertificate, candidates) || tsaCertificate is null)
        {
            e.Warnings.Add("signature time-stamp does not match the signature value or its own signature is invalid; ignored");
            return;
        }

        var genTime = token.TokenInfo.Timestamp;
        var tsa = validation.Certificates.Get(tsaCertificate.RawData);
        var extra = new List<CertificateFacts>(e.ExtraCertificates);
        if (token.AsSignedCms().Certificates is { } tokenCertificates)
        {
            foreach (var c in tokenCertificates)
            {
                extra.Add(validation.Certificates.Get(c.RawData));
            }
        }

        var tsaChain = await validation.ValidateChainAsync(tsa, extra, e.ExtraCrls, genTime, timeIsProven: false, KeyPurpose.TimeStamping, cancellationToken).ConfigureAwait(false);
        if (tsaChain.Failure is { } failure)
        {
            e.Warnings.Add($"signature time-stamp ignored, TSA not trusted: {failure.SubIndication.Code()} {failure.Reason}");
            return;
        }

        if (e.SigningTime is { } claimed && claimed > genTime + validation.Options.ClockSkew)
        {
            e.Warnings.Add($"claimed signing time {claimed:O} is after the time-stamp {genTime:O}");
        }

        e.SigningTime = genTime;
        e.SigningTimeSource = SigningTimeSource.Timestamp;
    }

    private static bool EssCertIdMatches(ReadOnlySpan<byte> value, bool v2, CertificateFacts certificate)
    {
        // RFC 5035 §3 SigningCertificateV2 / RFC 2634 §5.4 SigningCertificate: the first ESSCertID names the signer.
        var outer = new AsnReader(value.ToArray(), AsnEncodingRules.DER).ReadSequence();
        var first = outer.ReadSequence().ReadSequence();
        var hash = HashAlgorithmName.SHA1;
        if (v2)
        {
            hash = HashAlgorithmName.SHA256;
            if (first.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var (oid, _) = Algorithms.ReadAlgorithmIdentifier(first);
                hash = Algorithms.DigestFromOid(oid) ?? throw new CryptographicException($"unknown ESSCertIDv2 hash {oid}");
            }
        }

        var expected = first.ReadOctetString();
        var actual = Hash(hash, [certificate.Certificate.RawData]);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private CertificateFacts? FindSigner(ParsedSigner signer, IReadOnlyList<CertificateFacts> candidates)
    {
        foreach (var candidate in candidates)
        {
            if (signer.SubjectKeyIdentifier is { } ski)
            {
                if (candidate.SubjectKeyIdentifier == ski)
                {
                    return candidate;
                }

                continue;
            }

            if (candidate.SerialHex == signer.SerialHex
                && (candidate.Certificate.IssuerName.RawData.AsSpan().SequenceEqual(signer.Issuer.Span)
                    || candidate.IssuerKey == CertificateFacts.NameKey(new X500DistinguishedName(signer.Issuer.Span))))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsComputable(HashAlgorithmName hash) => hash.Name is "MD5" or "SHA1" or "SHA256" or "SHA384" or "SHA512";

    private static byte[] Hash(HashAlgorithmName hash, IReadOnlyList<ReadOnlyMemory<byte>> segments)
    {
        if (segments.Count == 1 && hash == HashAlgorithmName.SHA256)
        {
            return SHA256.HashData(segments[0].Span);
        }

        using var incremental = IncrementalHash.CreateHash(hash);
        foreach (var segment in segments)
        {
            incremental.AppendData(segment.Span);
        }

        return incremental.GetHashAndReset();
    }

    private static bool SameBytes(IReadOnlyList<ReadOnlyMemory<byte>> segments, ReadOnlyMemory<byte> whole)
    {
        var offset = 0;
        foreach (var segment in segments)
        {
            if (offset + segment.Length > whole.Length || !segment.Span.SequenceEqual(whole.Span.Slice(offset, segment.Length)))
            {
                return false;
            }

            offset += segment.Length;
        }

        return offset == whole.Length;
    }

    private ParsedSignedData Parse(ReadOnlyMemory<byte> cms)
    {
        var reader = new AsnReader(cms, AsnEncodingRules.BER);
        var contentInfo = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        if (contentInfo.ReadObjectIdentifier() != Oids.SignedData)
        {
            throw new CryptographicException("ContentInfo does not hold SignedData");
        }

        var signedData = contentInfo.ReadSequence(s_context0).ReadSequence();
        contentInfo.ThrowIfNotEmpty();
        signedData.ReadInteger();
        signedData.ReadSetOf(skipSortOrderValidation: true);
        var encapsulated = signedData.ReadSequence();
        var contentType = encapsulated.ReadObjectIdentifier();
        ReadOnlyMemory<byte>? eContent = null;
        if (encapsulated.HasData)
        {
            var explicitContent = encapsulated.ReadSequence(s_context0);
            eContent = explicitContent.TryReadPrimitiveOctetString(out var primitive) ? primitive : explicitContent.ReadOctetString();
        }

        encapsulated.ThrowIfNotEmpty();
        var parsed = new ParsedSignedData(contentType, eContent);
        if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(s_context0))
        {
            var certificates = signedData.ReadSetOf(skipSortOrderValidation: true, expectedTag: s_context0);
            while (certificates.HasData)
            {
                var isCertificate = certificates.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence);
                var encoded = certificates.ReadEncodedValue();
                if (!isCertificate)
                {
                    continue; // attribute or other certificate formats (RFC 5652 §10.2.2) are not used for X.509 paths
                }

                try
                {
                    parsed.Certificates.Add(validation.Certificates.Get(encoded.Span));
                }
                catch (Exception e) when (e is CryptographicException or AsnContentException)
                {
                    parsed.Problems.Add($"a certificate in the signature is malformed and was ignored: {e.Message}");
                }
            }
        }

        if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(s_context1))
        {
            var crls = signedData.ReadSetOf(skipSortOrderValidation: true, expectedTag: s_context1);
            while (crls.HasData)
            {
                var isCrl = crls.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence);
                var encoded = crls.ReadEncodedValue().ToArray();
                if (isCrl && RevocationList.TryParse(encoded, out var crl, out _))
                {
                    parsed.Crls.Add(crl!);
                }
            }
        }

        var signerInfos = signedData.ReadSetOf(skipSortOrderValidation: true);
        signedData.ThrowIfNotEmpty();
        while (signerInfos.HasData)
        {
            parsed.Signers.Add(ParseSigner(signerInfos.ReadSequence()));
        }

        return parsed;
    }

    private static ParsedSigner ParseSigner(AsnReader signerInfo)
    {
        signerInfo.ReadInteger();
        ReadOnlyMemory<byte> issuer = default;
        string? serial = null;
        string? ski = null;
        if (signerInfo.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var issuerAndSerial = signerInfo.ReadSequence();
            issuer = issuerAndSerial.ReadEncodedValue();
            serial = CertificateFacts.NormaliseSerial(issuerAndSerial.ReadIntegerBytes().Span);
            issuerAndSerial.ThrowIfNotEmpty();
        }
        else
        {
            ski = Convert.ToHexString(signerInfo.ReadOctetString(s_context0Primitive));
        }

        var (digestOid, _) = Algorithms.ReadAlgorithmIdentifier(signerInfo);
        ReadOnlyMemory<byte>? signedAttributes = null;
        if (signerInfo.PeekTag().HasSameClassAndValue(s_context0))
        {
            signedAttributes = signerInfo.ReadEncodedValue();
        }

        var (signatureOid, signatureParameters) = Algorithms.ReadAlgorithmIdentifier(signerInfo);
        var signature = signerInfo.ReadOctetString();
        ReadOnlyMemory<byte>? timeStampToken = null;
        if (signerInfo.HasData && signerInfo.PeekTag().HasSameClassAndValue(s_context1))
        {
            var unsigned = signerInfo.ReadSetOf(skipSortOrderValidation: true, expectedTag: s_context1);
            while (unsigned.HasData)
            {
                var attribute = unsigned.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf(skipSortOrderValidation: true);
                if (type == Oids.SignatureTimeStampToken && values.HasData)
                {
                    timeStampToken ??= values.ReadEncodedValue();
                }
            }
        }

        signerInfo.ThrowIfNotEmpty();
        return new ParsedSigner(issuer, serial, ski, digestOid, signedAttributes, signatureOid, signatureParameters, signature, timeStampToken);
    }

    private sealed class ParsedSignedData(string contentType, ReadOnlyMemory<byte>? encapsulatedContent)
    {
        public string ContentType { get; } = contentType;
        public ReadOnlyMemory<byte>? EncapsulatedContent { get; } = encapsulatedContent;
        public List<CertificateFacts> Certificates { get; } = [];
        public List<RevocationList> Crls { get; } = [];
        public List<ParsedSigner> Signers { get; } = [];
        public List<string> Problems { get; } = [];
    }

    private sealed record ParsedSigner(
        ReadOnlyMemory<byte> Issuer,
        string? SerialHex,
        string? SubjectKeyIdentifier,
        string DigestAlgorithmOid,
        ReadOnlyMemory<byte>? SignedAttributes,
        string SignatureAlgorithmOid,
        ReadOnlyMemory<byte>? SignatureAlgorithmParameters,
        byte[] Signature,
        ReadOnlyMemory<byte>? TimeStampToken);
}
