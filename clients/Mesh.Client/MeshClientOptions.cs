using System.Security.Cryptography.X509Certificates;

namespace Mesh.Client;

/// <summary>How an agency adapter connects to Mesh.</summary>
public sealed class MeshClientOptions
{
    /// <summary>The hub's address, e.g. https://mesh.example.gov.vn:443 or https://localhost:7443.</summary>
    public required Uri Address { get; init; }

    /// <summary>The agency's client-TLS certificate with its private key (bound in the registry).</summary>
    public required X509Certificate2 ClientCertificate { get; init; }

    /// <summary>The agency's document-signing certificate with its private key; manifests and statuses are signed with it.</summary>
    public X509Certificate2? SigningCertificate { get; init; }

    /// <summary>The CA that issued the hub's TLS certificate; null trusts the operating system's store.</summary>
    public X509Certificate2? TrustedCa { get; init; }

    /// <summary>Attempts of an idempotent call on a transient failure (same request id each time).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>First retry delay; doubles each attempt.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Attachment chunk size (at most 1 MiB).</summary>
    public int ChunkSize { get; init; } = 256 * 1024;
}
