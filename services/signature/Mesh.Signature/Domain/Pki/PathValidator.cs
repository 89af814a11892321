using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain.Crypto;

namespace Mesh.Signature.Domain.Pki;

public enum KeyPurpose
{
    /// <summary>End-entity signing documents: keyUsage digitalSignature or nonRepudiation.</summary>
    DocumentSigning,
    /// <summary>RFC 3161 §2.3: a TSA certificate has extKeyUsage id-kp-timeStamping.</summary>
    TimeStamping,
    /// <summary>An agency's client TLS certificate: digitalSignature and, if extKeyUsage is present, id-kp-clientAuth.</summary>
    ClientTls,
}

/// <summary>The outcome of path validation; <see cref="ValidFrom"/>..<see cref="ValidTo"/> is the window of times for which a pass holds.</summary>
public sealed record ChainResult(
    Finding? Failure,
    IReadOnlyList<CertificateFacts> Path,
    IReadOnlyList<string> Warnings,
    DateTimeOffset ValidFrom,
    DateTimeOffset ValidTo,
    DateTimeOffset FreshUntil,
    bool Cacheable)
{
    public bool Passed => Failure is null;
}

/// <summary>
/// RFC 5280 §6 certification path validation against registry trust anchors, with CRL revocation
/// checking per §6.3. Implemented here instead of X509Chain so that every rule yields its own ETSI
/// sub-indication and revocation uses only the registry's CRLs (never the OS store or network).
/// </summary>
public sealed class PathValidator(SignatureOptions options, CryptoPolicy policy)
{
    private const int MaxCandidatePaths = 16;
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";
    private const string ClientAuthEku = "1.3.6.1.5.5.7.3.2";

    public ChainResult Validate(
        CertificateFacts leaf,
        IReadOnlyList<CertificateFacts> extraCertificates,
        IReadOnlyList<RevocationList> extraCrls,
        PreparedTrust trust,
        DateTimeOffset at,
        bool timeIsProven,
        DateTimeOffset now,
        KeyPurpose purpose,
        bool? requireRevocationData = null)
    {
        var requireCrls = requireRevocationData ?? options.RequireRevocationData;
        var pool = new Dictionary<string, CertificateFacts>(StringComparer.Ordinal);
        foreach (var c in trust.Anchors.Concat(trust.Intermediates).Concat(extraCertificates))
        {
            pool.TryAdd(c.Thumbprint, c);
        }

        var paths = new List<List<CertificateFacts>>();
        var longest = new List<CertificateFacts> { leaf };
        Build([leaf], pool.Values, trust, paths, ref longest);
        if (paths.Count == 0)
        {
            var end = longest[^1];
            var reason = end.IsSelfIssued
                ? $"the chain of '{leaf.Summary.Subject}' ends at the self-signed '{end.Summary.Subject}', which is not a trust anchor"
                : $"no issuer '{end.Summary.Issuer}' of '{end.Summary.Subject}' among {trust.Anchors.Count} trust anchors, {trust.Intermediates.Count} registry intermediates and {extraCertificates.Count} certificates supplied";
            return new ChainResult(new Finding(SubIndication.NoCertificateChainFound, reason), longest, [], at, at, now, false);
        }

        ChainResult? firstFailure = null;
        foreach (var path in paths)
        {
            var result = ValidatePath(path, trust, extraCrls, at, timeIsProven, now, purpose, requireCrls);
            if (result.Passed)
            {
                return result;
            }

            firstFailure ??= result;
        }

        return firstFailure!;
    }

    private void Build(List<CertificateFacts> path, IEnumerable<CertificateFacts> pool, PreparedTrust trust, List<List<CertificateFacts>> paths, ref List<CertificateFacts> longest)
    {
        if (paths.Count >= MaxCandidatePaths)
        {
            return;
        }

        var current = path[^1];
        if (trust.IsAnchor(current))
        {
            paths.Add([.. path]);
            return;
        }

        if (path.Count > longest.Count)
        {
            longest = [.. path];
        }

        if (path.Count > options.MaxPathLength + 1)
        {
            return;
        }

        // Name chaining first (RFC 5280 §6.1.3 (a)(4)); key-identifier matches are followed too so that an
        // issuer whose key signed the certificate under a different name is reported as a name-chaining failure.
        var candidates = pool
            .Where(c => c.SubjectKey == current.IssuerKey
                || (current.AuthorityKeyIdentifier is { } aki && c.SubjectKeyIdentifier == aki))
            .OrderBy(c => c.SubjectKey == current.IssuerKey ? 0 : 1)
            .ThenBy(c => trust.IsAnchor(c) ? 0 : 1)
            .ToList();
        foreach (var candidate in candidates)
        {
            if (path.Exists(p => p.Thumbprint == candidate.Thumbprint) || !current.IsSignedBy(candidate))
            {
                continue;
            }

            path.Add(candidate);
            Build(path, pool, trust, paths, ref longest);
            path.RemoveAt(path.Count - 1);
        }
    }

    private ChainResult ValidatePath(
        List<CertificateFacts> path,
        PreparedTrust trust,
        IReadOnlyList<RevocationList> extraCrls,
        DateTimeOffset at,
        bool timeIsProven,
        DateTimeOffset now,
        KeyPurpose purpose,
        bool requireCrls)
    {
        var warnings = new List<string>();
        var validFrom = path.Max(c => c.NotBefore);
        var validTo = path.Min(c => c.NotAfter);
        var freshUntil = DateTimeOffset.MaxValue;
        var cacheable = true;
        var anchor = path[^1];

        ChainResult Fail(SubIndication sub, string reason) => new(new Finding(sub, reason), path, warnings, validFrom, validTo, freshUntil, false);

        // The anchor's own validity and path length are enforced too: registry anchors are certificates,
        // and honouring their constraints is the conservative reading of RFC 5280 §6.2.
        if (Validity(anchor, at) is { } anchorValidity)
        {
            return Fail(anchorValidity.SubIndication, anchorValidity.Reason);
        }

        var remainingIntermediates = anchor.PathLengthConstraint ?? int.MaxValue;
        for (var i = path.Count - 2; i >= 0; i--)
        {
            var certificate = path[i];
            var issuer = path[i + 1];
            var isLeaf = i == 0;
            var name = certificate.Summary.Subject;

            if (policy.CheckSignatureAlgorithm(certificate.SignatureAlgorithm) is { } algorithmProblem)
            {
                return Fail(SubIndication.CryptoConstraintsFailure, $"certificate '{name}' is signed with a refused algorithm: {algorithmProblem}");
            }

            if (policy.CheckKey(issuer.Key) is { } issuerKeyProblem)
            {
                return Fail(SubIndication.CryptoConstraintsFailure, $"issuer '{issuer.Summary.Subject}': {issuerKeyProblem}");
            }

            if (certificate.IssuerKey != issuer.SubjectKey)
            {
                return Fail(SubIndication.ChainConstraintsFailure, $"name chaining (RFC 5280 §6.1.3 a.4): issuer of '{name}' is '{certificate.Summary.Issuer}' but the certificate was signed by '{issuer.Summary.Subject}'");
            }

            if (Validity(certificate, at) is { } validity)
            {
                return Fail(validity.SubIndication, validity.Reason);
            }

            if (certificate.UnknownCriticalExtensions.Count > 0)
            {
                return Fail(SubIndication.ChainConstraintsFailure, $"certificate '{name}' has unsupported critical extension(s) {string.Join(", ", certificate.UnknownCriticalExtensions)} (RFC 5280 §6.1.4 o)");
            }

            if (!isLeaf)
            {
                if (!certificate.HasBasicConstraints || !certificate.IsCa)
                {
                    return Fail(SubIndication.ChainConstraintsFailure, $"'{name}' issues certificates but is not a CA (basicConstraints cA, RFC 5280 §6.1.4 k)");
                }

                if (certificate.KeyUsage is { } caUsage && !caUsage.HasFlag(X509KeyUsageFlags.KeyCertSign))
                {
                    return Fail(SubIndication.ChainConstraintsFailure, $"CA '{name}' lacks keyUsage keyCertSign (RFC 5280 §6.1.4 n)");
                }

                if (!certificate.IsSelfIssued)
                {
                    if (remainingIntermediates <= 0)
                    {
                        return Fail(SubIndication.ChainConstraintsFailure, $"path length constraint exceeded at '{name}' (RFC 5280 §6.1.4 l)");
                    }

                    remainingIntermediates--;
                }

                if (certificate.PathLengthConstraint is { } pathLength && pathLength < remainingIntermediates)
                {
                    remainingIntermediates = pathLength;
                }
            }
            else
            {
                if (policy.CheckKey(certificate.Key) is { } keyProblem)
                {
                    return Fail(SubIndication.CryptoConstraintsFailure, $"signer certificate '{name}': {keyProblem}");
                }

                if (LeafUsageProblem(certificate, purpose) is { } usageProblem)
                {
                    return Fail(SubIndication.ChainConstraintsFailure, usageProblem);
                }
            }

            var revocation = CheckRevocation(certificate, issuer, trust, extraCrls, at, timeIsProven, now, isLeaf, requireCrls, warnings, ref freshUntil, ref cacheable);
            if (revocation is not null)
            {
                return Fail(revocation.SubIndication, revocation.Reason);
            }
        }

        return new ChainResult(null, path, warnings, validFrom, validTo, freshUntil, cacheable);
    }

    private static Finding? Validity(CertificateFacts certificate, DateTimeOffset at)
    {
        if (at < certificate.NotBefore)
        {
            return new Finding(SubIndication.NotYetValid, $"certificate '{certificate.Summary.Subject}' is not valid before {certificate.NotBefore:O}; checked at {at:O}");
        }

        return at > certificate.NotAfter
            ? new Finding(SubIndication.Expired, $"certificate '{certificate.Summary.Subject}' expired at {certificate.NotAfter:O}; checked at {at:O}")
            : null;
    }

    private static string? LeafUsageProblem(CertificateFacts leaf, KeyPurpose purpose)
    {
        var name = leaf.Summary.Subject;
        if (purpose == KeyPurpose.TimeStamping)
        {
            return leaf.ExtendedKeyUsages is { } ekus && ekus.Contains(TimeStampingEku)
                ? null
                : $"TSA certificate '{name}' lacks extKeyUsage id-kp-timeStamping (RFC 3161 §2.3)";
        }

        if (purpose == KeyPurpose.ClientTls)
        {
            if (leaf.KeyUsage is { } tlsUsage && !tlsUsage.HasFlag(X509KeyUsageFlags.DigitalSignature))
            {
                return $"client certificate '{name}' keyUsage {tlsUsage} lacks digitalSignature";
            }

            return leaf.ExtendedKeyUsages is { } tlsEkus && !tlsEkus.Contains(ClientAuthEku)
                ? $"client certificate '{name}' extKeyUsage lacks id-kp-clientAuth"
                : null;
        }

        return leaf.KeyUsage is { } usage && (usage & (X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation)) == 0
            ? $"signer certificate '{name}' keyUsage {usage} allows neither digitalSignature nor nonRepudiation"
            : null;
    }

    private Finding? CheckRevocation(
        CertificateFacts certificate,
        CertificateFacts issuer,
        PreparedTrust trust,
        IReadOnlyList<RevocationList> extraCrls,
        DateTimeOffset at,
        bool timeIsProven,
        DateTimeOffset now,
        bool isLeaf,
        bool requireCrls,
        List<string> warnings,
        ref DateTimeOffset freshUntil,
        ref bool cacheable)
    {
        var name = certificate.Summary.Subject;
        RevocationList? best = null;
        foreach (var crl in trust.Crls.Concat(extraCrls))
        {
            // RFC 5280 §6.3.3 (f): the CRL is signed by the certificate's issuer, which may sign CRLs.
            if (crl.IssuerKey != issuer.SubjectKey || crl.UnusableReason is not null || crl.ThisUpdate > now + options.ClockSkew)
            {
                continue;
            }

            if (issuer.KeyUsage is { } usage && !usage.HasFlag(X509KeyUsageFlags.CrlSign))
            {
                continue;
            }

            if (policy.CheckSignatureAlgorithm(crl.SignatureAlgorithm) is not null || !crl.IsSignedBy(issuer))
            {
                continue;
            }

            if (best is null || crl.ThisUpdate > best.ThisUpdate)
            {
                best = crl;
            }
        }

        if (best is null)
        {
            if (requireCrls)
            {
                return new Finding(SubIndication.TryLater, $"no usable CRL from '{issuer.Summary.Subject}' to check '{name}'; revocation status unknown");
            }

            warnings.Add($"revocation of '{name}' not checked: no CRL from '{issuer.Summary.Subject}'");
            return null;
        }

        if (best.NextUpdate is not { } nextUpdate || now > nextUpdate + options.ClockSkew)
        {
            return new Finding(SubIndication.TryLater, $"the newest CRL from '{issuer.Summary.Subject}' is stale (nextUpdate {best.NextUpdate:O}, now {now:O}); revocation status of '{name}' unknown until a fresh CRL is published");
        }

        if (nextUpdate < freshUntil)
        {
            freshUntil = nextUpdate;
        }

        if (!best.TryGetRevocation(certificate.SerialHex, out var revokedAt))
        {
            return null;
        }

        cacheable = false;
        var role = isLeaf ? "signer certificate" : "CA certificate";
        if (revokedAt <= at)
        {
            return new Finding(SubIndication.Revoked, $"{role} '{name}' (serial {certificate.SerialHex}) was revoked at {revokedAt:O}, not after the validation time {at:O}");
        }

        if (timeIsProven)
        {
            warnings.Add($"{role} '{name}' was revoked at {revokedAt:O}, after the proven time {at:O}");
            return null;
        }

        // EN 319 102-1 §5.6.2.4: revoked after the claimed signing time, but the claim has no proof of existence.
        return new Finding(
            isLeaf ? SubIndication.RevokedNoPoe : SubIndication.RevokedCaNoPoe,
            $"{role} '{name}' was revoked at {revokedAt:O}; the signing time {at:O} is only claimed, not proven by a time-stamp");
    }
}
