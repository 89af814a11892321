using System.Security.Cryptography.X509Certificates;
using Mesh.Registry.Domain;

namespace Mesh.Registry.Infrastructure;

/// <summary>
/// Validates a certificate against the registry's trust anchors with .NET's chain engine
/// (custom root trust only, never the machine store): path to a registered root, validity at the
/// given time, CA constraints and key usage for the purpose. Revocation is checked against the
/// registry's CRLs by the signature service's validator, which replaces this one when the
/// signature service runs in the same process or is reachable.
/// </summary>
public sealed class X509ChainCertificateValidator(TrustMaterialReader trustReader) : ICertificateValidator
{
    /// <inheritdoc />
    public async ValueTask<CertificateValidation> ValidateAsync(byte[] certificateDer, IReadOnlyList<byte[]> intermediates, CertificatePurpose purpose, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intermediates);
        var trust = await trustReader.ReadAsync(cancellationToken).ConfigureAwait(false);
        using var leaf = X509CertificateLoader.LoadCertificate(certificateDer);
        if (at < leaf.NotBefore.ToUniversalTime())
        {
            return new(false, "NOT_YET_VALID", $"The certificate is valid only from {leaf.NotBefore.ToUniversalTime():O}.");
        }

        if (at > leaf.NotAfter.ToUniversalTime())
        {
            return new(false, "EXPIRED", $"The certificate expired at {leaf.NotAfter.ToUniversalTime():O}.");
        }

        var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault()?.KeyUsages;
        var needed = purpose == CertificatePurpose.DocumentSigning
            ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation
            : X509KeyUsageFlags.DigitalSignature;
        if (usage is { } u && (u & needed) == 0)
        {
            return new(false, "CHAIN_CONSTRAINTS_FAILURE", $"The certificate's key usage ({u}) does not allow {purpose}.");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        var loaded = new List<X509Certificate2>();
        try
        {
            foreach (var anchor in trust.Anchors)
            {
                var ca = X509CertificateLoader.LoadCertificate(anchor.CertificateDer);
                loaded.Add(ca);
                (anchor.Kind == TrustAnchorKind.Root ? chain.ChainPolicy.CustomTrustStore : chain.ChainPolicy.ExtraStore).Add(ca);
            }

            foreach (var der in intermediates)
            {
                var ca = X509CertificateLoader.LoadCertificate(der);
                loaded.Add(ca);
                chain.ChainPolicy.ExtraStore.Add(ca);
            }

            if (chain.Build(leaf))
            {
                return new(true, "", "The certificate chains to a registered trust anchor.");
            }

            var status = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (acc, s) => acc | s.Status);
            var detail = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            var sub = status switch
            {
                _ when status.HasFlag(X509ChainStatusFlags.NotTimeValid) => "EXPIRED",
                _ when status.HasFlag(X509ChainStatusFlags.UntrustedRoot) || status.HasFlag(X509ChainStatusFlags.PartialChain) => "NO_CERTIFICATE_CHAIN_FOUND",
                _ when status.HasFlag(X509ChainStatusFlags.NotSignatureValid) => "SIG_CRYPTO_FAILURE",
                _ => "CHAIN_CONSTRAINTS_FAILURE",
            };
            return new(false, sub, $"No valid path to a registered trust anchor ({status}): {detail}");
        }
        finally
        {
            foreach (var c in loaded)
            {
                c.Dispose();
            }
        }
    }
}
