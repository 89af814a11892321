using System.Security.Cryptography.X509Certificates;

namespace Mesh.Client;

/// <summary>
/// Loads an agency's certificates with their private keys, as <see cref="MeshClientOptions"/>
/// wants them: from PKCS#12 (.pfx/.p12, optionally password-protected) or PEM (certificate and
/// key in one file or two; the key may be an encrypted PKCS#8 key).
/// </summary>
public static class MeshCertificates
{
    /// <summary>
    /// A certificate with its private key, the format chosen by the extension: .pfx/.p12 is
    /// PKCS#12, anything else PEM holding both the certificate and the key.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="password">The PKCS#12 password, or the password of an encrypted PEM key; null when not protected.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The file does not decode, or the password is wrong.</exception>
    public static X509Certificate2 Load(string path, string? password = null) =>
        IsPkcs12(path) ? LoadPkcs12(path, password) : LoadPem(path, keyPath: null, password);

    /// <summary>A certificate with its private key from a PKCS#12 file.</summary>
    /// <param name="path">The .pfx/.p12 file.</param>
    /// <param name="password">Its password; null or empty when it has none.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The file does not decode, or the password is wrong.</exception>
    public static X509Certificate2 LoadPkcs12(string path, string? password = null)
    {
        EnsureExists(path);
        return X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.Exportable);
    }

    /// <summary>A certificate with its private key from PEM.</summary>
    /// <param name="certificatePath">The certificate (PEM); it may hold the key too.</param>
    /// <param name="keyPath">The key (PEM: PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1); null: in <paramref name="certificatePath"/>.</param>
    /// <param name="password">The password of an encrypted PKCS#8 key; null when the key is not encrypted.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The files do not decode, the key does not match the certificate, or the password is wrong.</exception>
    public static X509Certificate2 LoadPem(string certificatePath, string? keyPath = null, string? password = null)
    {
        EnsureExists(certificatePath);
        keyPath ??= certificatePath;
        EnsureExists(keyPath);
        using var pem = password is null
            ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);

        // A key imported from PEM is ephemeral; SslStream needs one it can use on every platform, so round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>A certificate without its key (PEM or DER, or the certificate of a PKCS#12 file), e.g. a CA to trust.</summary>
    /// <param name="path">The file.</param>
    /// <param name="password">The PKCS#12 password, when it is one.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static X509Certificate2 LoadCertificate(string path, string? password = null)
    {
        EnsureExists(path);
        return IsPkcs12(path) ? LoadPkcs12(path, password) : X509CertificateLoader.LoadCertificateFromFile(path);
    }

    private static bool IsPkcs12(string path) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);

    private static void EnsureExists(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Certificate file not found: {path}", path);
        }
    }
}
