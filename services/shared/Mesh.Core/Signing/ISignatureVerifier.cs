using System.Security.Cryptography.X509Certificates;

namespace Mesh.Signing;

/// <summary>ETSI EN 319 102-1 main indication.</summary>
public enum SignatureIndication
{
    /// <summary>Valid.</summary>
    TotalPassed = 1,
    /// <summary>Definitely invalid.</summary>
    TotalFailed = 2,
    /// <summary>Could not be decided now.</summary>
    Indeterminate = 3,
}

/// <summary>The outcome of checking one signature, as the send path needs it.</summary>
/// <param name="Indication">Main indication.</param>
/// <param name="SubIndication">ETSI sub-indication name when not passed (e.g. HASH_FAILURE), empty otherwise.</param>
/// <param name="Reason">Human-readable reason.</param>
public sealed record SignatureCheck(SignatureIndication Indication, string SubIndication, string Reason)
{
    /// <summary>Signer subject DN.</summary>
    public string SignerSubject { get; init; } = "";

    /// <summary>Signer organisation (O).</summary>
    public string SignerOrganization { get; init; } = "";

    /// <summary>SHA-256 thumbprint (hex) of the signer certificate.</summary>
    public string SignerThumbprint { get; init; } = "";

    /// <summary>The OrganId the signer certificate is bound to for document signing, if any.</summary>
    public string BoundOrganId { get; init; } = "";

    /// <summary>Claimed or timestamped signing time.</summary>
    public DateTimeOffset? SigningTime { get; init; }

    /// <summary>Whether the signature passed.</summary>
    public bool Passed => Indication == SignatureIndication.TotalPassed;
}

/// <summary>
/// Signature verification on the send path (TT 41/2017: every package's signatures are checked).
/// The signature service implements it in-process (all-in-one hub) or through its gRPC API.
/// </summary>
public interface ISignatureVerifier
{
    /// <summary>
    /// Verifies a detached CMS signature over <paramref name="content"/> (a manifest or a status)
    /// and that its signer is bound to <paramref name="expectedOrganId"/> for document signing.
    /// </summary>
    ValueTask<SignatureCheck> VerifyDetachedAsync(ReadOnlyMemory<byte> content, ReadOnlyMemory<byte> cmsSignature, string expectedOrganId, CancellationToken cancellationToken = default);

    /// <summary>Verifies every signature in a PDF (seekable stream); an empty list when it has none.</summary>
    ValueTask<IReadOnlyList<SignatureCheck>> VerifyPdfAsync(Stream pdf, CancellationToken cancellationToken = default);
}

/// <summary>The hub's own signing key (receipts). Internal to the hub.</summary>
public interface IHubSigner
{
    /// <summary>The hub's signing certificate.</summary>
    X509Certificate2 Certificate { get; }

    /// <summary>Signs <paramref name="data"/> as detached CMS (DER) with the hub certificate included.</summary>
    ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, string purpose, CancellationToken cancellationToken = default);
}
