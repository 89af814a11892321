using Mesh.Audit.Domain;
using Mesh.Errors;
using Microsoft.Extensions.Logging;

namespace Mesh.Audit.Infrastructure;

/// <summary>
/// Loads the checkpoint signing key from <see cref="AuditOptions.KeyPath"/>, or from
/// <c>audit-log.key</c> in the data directory, generating it there on first run when allowed.
/// The verifier key is written beside it so operators can publish it to agencies and witnesses.
/// </summary>
public static class LogKeyLoader
{
    public const string KeyFileName = "audit-log.key";
    public const string VerifierKeyFileName = "audit-log.vkey";

    public static NoteSigner Load(AuditOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = string.IsNullOrEmpty(options.KeyPath) ? Path.Combine(options.DataDirectory, KeyFileName) : options.KeyPath;
        if (File.Exists(path))
        {
            var signer = NoteSigner.Parse(File.ReadAllText(path));
            if (signer.Name != options.Origin)
            {
                throw MeshException.Precondition("AUDIT_KEY_NAME_MISMATCH", $"The log key '{path}' is named '{signer.Name}', not the origin '{options.Origin}'.");
            }

            return signer;
        }

        if (!options.GenerateKeyIfMissing)
        {
            throw MeshException.Precondition("AUDIT_KEY_MISSING", $"No audit log key at '{path}' and generation is off.");
        }

        var generated = NoteSigner.Generate(options.Origin);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // The private key is readable by the service account only.
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, fileOptions))
        {
            writer.Write(generated.SignerKey + "\n");
        }

        File.WriteAllText(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, VerifierKeyFileName), generated.Verifier.VerifierKey + "\n");
        logger.KeyGenerated(generated.Verifier.VerifierKey, path);
        return generated;
    }
}
