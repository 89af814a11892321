using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Mesh.Errors;
using Mesh.Signature.Domain;
using Mesh.Signature.Domain.Crypto;
using Microsoft.Extensions.Logging;

namespace Mesh.Signature.Infrastructure;

/// <summary>
/// The hub's own signing key (receipts, audit checkpoints). Loaded from a PFX or PEM file — a mounted
/// Kubernetes secret is just such a file — or, in development only, generated once as ECDSA P-256 with a
/// self-signed certificate and kept in the data directory so receipts stay verifiable across restarts.
/// </summary>
public sealed partial class HubSigningKey : IDisposable
{
    public const string DevelopmentFileName = "hub-signing-key.pem";

    private readonly X509Certificate2 _certificate;
    private readonly TimeProvider _time;
    private readonly SignatureTelemetry? _telemetry;

    // The same for every signature: built once, not on each receipt.
    private readonly AsnEncodedData _signingCertificateV2;
    private readonly CadesDetachedSigner? _signer;

    public HubSigningKey(SignatureOptions options, TimeProvider time, ILogger<HubSigningKey> logger, SignatureTelemetry? telemetry = null)
    {
        _time = time;
        _telemetry = telemetry;
        _certificate = Load(options, time, logger);
        if (!_certificate.HasPrivateKey)
        {
            throw new MeshException(ErrorKind.FailedPrecondition, "SIGNING_KEY_UNAVAILABLE", "the hub signing certificate has no private key");
        }

        _signingCertificateV2 = SigningCertificateV2(_certificate);
        _signer = CadesDetachedSigner.TryCreate(_certificate, _signingCertificateV2.RawData);
    }

    public X509Certificate2 Certificate => _certificate;

    /// <summary>
    /// A detached CAdES-BES signature (content-type, message-digest, signing-time, ESS signing-certificate-v2)
    /// over <paramref name="content"/>: a CMS SignedData (RFC 5652) with the hub certificate.
    /// </summary>
    /// <remarks>
    /// Every accepted document gets one, so this is on the send path. For ECDSA and RSA keys the SignedData is
    /// DER-encoded here with the key loaded once: <see cref="SignedCms.ComputeSignature(CmsSigner, bool)"/> fetches
    /// the private key, signs, then verifies its own signature and re-decodes the message on every call, which
    /// cost about seven times the signature itself. Other key types go through <see cref="SignedCms"/>. Tests
    /// check the output with <see cref="SignedCms.CheckSignature(bool)"/>, the Mesh verifier and the openssl CLI.
    /// </remarks>
    public byte[] Sign(ReadOnlySpan<byte> content)
    {
        var signature = _signer is null ? SignWithSignedCms(content) : _signer.Sign(content, _time.GetUtcNow());
        _telemetry?.Signatures.Add(1);
        return signature;
    }

    private byte[] SignWithSignedCms(ReadOnlySpan<byte> content)
    {
        var signedCms = new SignedCms(new ContentInfo(content.ToArray()), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, _certificate)
        {
            DigestAlgorithm = new Oid(Oids.Sha256),
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        signer.SignedAttributes.Add(new Pkcs9SigningTime(_time.GetUtcNow().UtcDateTime));
        signer.SignedAttributes.Add(_signingCertificateV2);
        signedCms.ComputeSignature(signer, silent: true);
        return signedCms.Encode();
    }

    public void Dispose()
    {
        _signer?.Dispose();
        _certificate.Dispose();
    }

    /// <summary>RFC 5035 §3: SigningCertificateV2 with one ESSCertIDv2 (SHA-256 default, so the AlgorithmIdentifier is omitted).</summary>
    public static AsnEncodedData SigningCertificateV2(X509Certificate2 certificate)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                using (writer.PushSequence())
                {
                    writer.WriteOctetString(SHA256.HashData(certificate.RawData));
                }
            }
        }

        return new AsnEncodedData(new Oid(Oids.SigningCertificateV2), writer.Encode());
    }

    private static X509Certificate2 Load(SignatureOptions options, TimeProvider time, ILogger logger)
    {
        if (!string.IsNullOrEmpty(options.SigningKeyPath))
        {
            var path = options.SigningKeyPath;
            var certificate = path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
                ? X509CertificateLoader.LoadPkcs12FromFile(path, options.SigningKeyPassword, X509KeyStorageFlags.EphemeralKeySet)
                : LoadPem(path, options.SigningKeyPassword);
            LogLoaded(logger, path, certificate.Subject);
            return certificate;
        }

        if (!options.GenerateDevelopmentKey)
        {
            throw new MeshException(ErrorKind.FailedPrecondition, "SIGNING_KEY_UNAVAILABLE", "Mesh:Signature:SigningKeyPath is not set and key generation is only allowed in development");
        }

        var file = Path.Combine(options.DataDirectory, DevelopmentFileName);
        if (File.Exists(file))
        {
            LogLoaded(logger, file, "development key");
            return LoadPem(file, null);
        }

        Directory.CreateDirectory(options.DataDirectory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Mesh hub development signing key, O=Mesh", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = time.GetUtcNow();
        using var generated = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(5));
        var pem = generated.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
        var temporary = file + ".tmp";
        File.WriteAllText(temporary, pem);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, file, overwrite: false);
        LogGenerated(logger, file);
        return LoadPem(file, null);
    }

    private static X509Certificate2 LoadPem(string path, string? password)
    {
        using var loaded = string.IsNullOrEmpty(password)
            ? X509Certificate2.CreateFromPemFile(path)
            : X509Certificate2.CreateFromEncryptedPemFile(path, password);
        // Re-import so the private key is usable on every platform (PEM-loaded keys are ephemeral).
        return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.EphemeralKeySet);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Hub signing key loaded from {Path} ({Subject})")]
    private static partial void LogLoaded(ILogger logger, string path, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Generated a development hub signing key in {Path}; configure Mesh:Signature:SigningKeyPath outside development")]
    private static partial void LogGenerated(ILogger logger, string path);
}
