using Mesh.Signature.Domain.Crypto;
using Mesh.Signature.Domain.Pki;

namespace Mesh.Signature.Domain;

/// <summary>What a format reader established about one signature before the signer's certificate is validated.</summary>
public sealed class SignatureEvidence
{
    public required string SignatureId { get; init; }
    public required SignatureFormat Format { get; set; }
    public CertificateFacts? Signer { get; set; }
    public List<CertificateFacts> ExtraCertificates { get; } = [];
    public List<RevocationList> ExtraCrls { get; } = [];
    /// <summary>The first format, hash, crypto or signature failure found by the reader.</summary>
    public Finding? Failure { get; set; }
    public DateTimeOffset? SigningTime { get; set; }
    public SigningTimeSource SigningTimeSource { get; set; }
    public string? DigestAlgorithm { get; set; }
    public string? SignatureAlgorithm { get; set; }
    public PdfSignatureCoverage? Pdf { get; set; }
    public List<string> Warnings { get; } = [];

    /// <summary>Keeps the first failure, except that a TOTAL-FAILED one outranks an INDETERMINATE one (EN 319 102-1 §5.3.4).</summary>
    public void Fail(SubIndication subIndication, string reason)
    {
        if (Failure is null || (Failure.Indication == Indication.Indeterminate && SubIndications.IndicationOf(subIndication) == Indication.TotalFailed))
        {
            if (Failure is not null)
            {
                Warnings.Add($"{Failure.SubIndication.Code()}: {Failure.Reason}");
            }

            Failure = new Finding(subIndication, reason);
        }
        else
        {
            Warnings.Add($"{subIndication.Code()}: {reason}");
        }
    }
}

/// <summary>
/// The format-independent second half of EN 319 102-1 basic signature validation: identification of
/// the signing certificate, X.509 validation at the signing time (with the chain cache), then the
/// Mesh binding constraint (signer certificate bound to the claimed OrganId).
/// </summary>
public sealed class SignatureValidation(
    ITrustMaterial trustMaterial,
    ICertificateBindings bindings,
    SignatureOptions options,
    TimeProvider timeProvider)
{
    private readonly Lock _trustGate = new();
    private PreparedTrust? _prepared;

    public CryptoPolicy Policy { get; } = new(options);

    public SignatureOptions Options => options;

    public ChainCache Chains { get; } = new(options.ChainCacheCapacity);

    public CertificateCache Certificates { get; } = new(options.ChainCacheCapacity);

    public TimeProvider Time => timeProvider;

    private PathValidator Paths { get; } = new(options, new CryptoPolicy(options));

    public async ValueTask<PreparedTrust> GetTrustAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _prepared);
        if (current is not null && current.Version == trustMaterial.Version)
        {
            return current;
        }

        var snapshot = await trustMaterial.GetSnapshotAsync(cancellationToken).ConfigureAwait(false);
        var prepared = new PreparedTrust(snapshot);
        lock (_trustGate)
        {
            if (_prepared is null || _prepared.Version < prepared.Version)
            {
                _prepared = prepared;
            }
        }

        return prepared;
    }

    /// <summary>Validates the certificate path of <paramref name="leaf"/> at <paramref name="at"/>, from the cache when possible.</summary>
    public ValueTask<ChainResult> ValidateChainAsync(
        CertificateFacts leaf,
        IReadOnlyList<CertificateFacts> extraCertificates,
        IReadOnlyList<RevocationList> extraCrls,
        DateTimeOffset at,
        bool timeIsProven,
        KeyPurpose purpose,
        CancellationToken cancellationToken) =>
        ValidateChainAsync(leaf, extraCertificates, extraCrls, at, timeIsProven, purpose, options.RequireRevocationData, cancellationToken);

    /// <param name="requireRevocationData">Overrides <see cref="SignatureOptions.RequireRevocationData"/> for this validation.</param>
    public async ValueTask<ChainResult> ValidateChainAsync(
        CertificateFacts leaf,
        IReadOnlyList<CertificateFacts> extraCertificates,
        IReadOnlyList<RevocationList> extraCrls,
        DateTimeOffset at,
        bool timeIsProven,
        KeyPurpose purpose,
        bool requireRevocationData,
        CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var version = trustMaterial.Version;
        // Caller-supplied CRLs could revoke what the registry does not, and a pass without revocation data
        // must never answer a caller that requires it: both bypass the cache (a strict pass serves both).
        var cacheable = extraCrls.Count == 0 && requireRevocationData == options.RequireRevocationData;
        if (extraCrls.Count == 0 && (cacheable || !requireRevocationData) && Chains.TryGet(leaf.Thumbprint, purpose, version, at, now, out var cached))
        {
            return new ChainResult(null, cached.Path, cached.Warnings, cached.ValidFrom, cached.ValidTo, cached.FreshUntil, true);
        }

        var trust = await GetTrustAsync(cancellationToken).ConfigureAwait(false);
        var result = Paths.Validate(leaf, extraCertificates, extraCrls, trust, at, timeIsProven, now, purpose, requireRevocationData);
        if (result.Passed && result.Cacheable && cacheable)
        {
            Chains.Add(leaf.Thumbprint, purpose, trust.Version, new CachedChain(result.Path, result.Warnings, result.ValidFrom, result.ValidTo, result.FreshUntil), now);
        }

        return result;
    }

    /// <summary>Turns reader evidence into the final report.</summary>
    /// <param name="validationTime">Validate the path at this time instead of the signing time (diagnostics).</param>
    public async ValueTask<SignatureReport> CompleteAsync(SignatureEvidence evidence, string? expectedOrganId, DateTimeOffset? validationTime, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var signingTime = evidence.SigningTime ?? now;
        var timeSource = evidence.SigningTime is null ? SigningTimeSource.ValidationTime : evidence.SigningTimeSource;
        IReadOnlyList<CertificateSummary> chain = evidence.Signer is { } s ? [s.Summary] : [];
        var warnings = evidence.Warnings;

        SignatureReport Report(Finding? failure, BindingStatus binding = BindingStatus.NotChecked) => new()
        {
            SignatureId = evidence.SignatureId,
            Format = evidence.Format,
            SubIndication = failure?.SubIndication ?? SubIndication.None,
            Reason = failure?.Reason ?? (binding == BindingStatus.Bound
                ? $"signature valid; signer bound to {expectedOrganId}"
                : "signature valid"),
            Signer = evidence.Signer?.Summary,
            SigningTime = signingTime,
            SigningTimeSource = timeSource,
            Chain = chain,
            DigestAlgorithm = evidence.DigestAlgorithm,
            SignatureAlgorithm = evidence.SignatureAlgorithm,
            Binding = binding,
            BoundOrganId = binding == BindingStatus.Bound ? expectedOrganId : null,
            Pdf = evidence.Pdf,
            Warnings = [.. warnings],
        };

        if (evidence.Failure is not null)
        {
            return Report(evidence.Failure);
        }

        if (evidence.Signer is not { } signer)
        {
            return Report(new Finding(SubIndication.NoSigningCertificateFound, "the signer's certificate is neither in the signature nor in the registry"));
        }

        if (signingTime > now + options.ClockSkew)
        {
            return Report(new Finding(SubIndication.SigConstraintsFailure, $"signing time {signingTime:O} is in the future (now {now:O})"));
        }

        var result = await ValidateChainAsync(
            signer,
            evidence.ExtraCertificates,
            evidence.ExtraCrls,
            validationTime ?? signingTime,
            validationTime is not null || timeSource == SigningTimeSource.Timestamp,
            KeyPurpose.DocumentSigning,
            cancellationToken).ConfigureAwait(false);
        chain = [.. result.Path.Select(c => c.Summary)];
        warnings.AddRange(result.Warnings);
        if (result.Failure is not null)
        {
            return Report(result.Failure);
        }

        if (expectedOrganId is null)
        {
            return Report(null);
        }

        var bound = await bindings.IsBoundAsync(signer.Thumbprint, expectedOrganId, CertificatePurpose.DocumentSigning, cancellationToken).ConfigureAwait(false);
        return bound
            ? Report(null, BindingStatus.Bound)
            : Report(new Finding(SubIndication.SigConstraintsFailure, $"signer certificate {signer.Thumbprint} ('{signer.Summary.Subject}') is not bound to {expectedOrganId} for document signing"), BindingStatus.NotBound);
    }
}
