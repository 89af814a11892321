using Microsoft.Extensions.Logging;

namespace Mesh.Audit.Infrastructure;

internal static partial class AuditLogMessages
{
    [LoggerMessage(1, LogLevel.Information, "Audit log {Origin} resumed at size {Size}")]
    public static partial void Resumed(this ILogger logger, string origin, long size);

    [LoggerMessage(2, LogLevel.Warning, "Audit tree moved under this sequencer (attempt {Attempt}); re-reading state")]
    public static partial void CommitConflict(this ILogger logger, int attempt);

    [LoggerMessage(3, LogLevel.Error, "Integrating {Count} audit entries failed")]
    public static partial void BatchFailed(this ILogger logger, Exception exception, int count);

    [LoggerMessage(4, LogLevel.Information, "Generated audit log key {VerifierKey} at {Path}")]
    public static partial void KeyGenerated(this ILogger logger, string verifierKey, string path);

    [LoggerMessage(5, LogLevel.Warning, "Audit verification found {Count} problem(s); first bad entry {FirstIndex}")]
    public static partial void VerificationFailed(this ILogger logger, int count, long? firstIndex);
}
