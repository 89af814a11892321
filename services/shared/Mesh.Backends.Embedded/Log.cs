using Microsoft.Extensions.Logging;

namespace Mesh.Backends.Embedded;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Embedded backend opened {Path} (synchronous={Synchronous}, journal_mode={JournalMode})")]
    public static partial void Opened(ILogger logger, string path, SqliteSynchronous synchronous, string journalMode);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Group commit of {Count} writes failed; every write of the group was rolled back")]
    public static partial void CommitFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Embedded backend closed {Path}")]
    public static partial void Closed(ILogger logger, string path);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Background checkpoint of {Path} failed; retrying at the next interval")]
    public static partial void CheckpointFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Critical, Message = "fsync of the WAL of {Path} failed; the embedded backend refuses every further write until the process restarts")]
    public static partial void SyncFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Handler {Handler} failed on event {EventId} of {Topic} for group {Group} (attempt {Attempt} of {MaxAttempts}); retrying in {Delay}")]
    public static partial void HandlerFailed(ILogger logger, string handler, string eventId, string topic, string group, int attempt, int maxAttempts, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Handler {Handler} failed on event {EventId} of {Topic} for group {Group} after {Attempts} attempts; moved to {DeadLetterTopic}")]
    public static partial void DeadLettered(ILogger logger, string handler, string eventId, string topic, string group, int attempts, string deadLetterTopic, Exception exception);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Dispatching {Topic} to consumer group {Group} from outbox position {Cursor} with {Pending} pending deliveries")]
    public static partial void LaneStarted(ILogger logger, string topic, string group, long cursor, int pending);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Dispatcher for {Topic}/{Group} failed; restarting it")]
    public static partial void LaneFailed(ILogger logger, string topic, string group, Exception exception);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Pruned {Count} settled events from the outbox")]
    public static partial void Pruned(ILogger logger, int count);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Started value segment {Path}")]
    public static partial void ValueSegmentStarted(ILogger logger, string path);
}
