using Microsoft.Extensions.Logging;

namespace Mesh.Backends.Dapr;

internal static partial class Log
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Handler {Handler} failed on event {EventId} of {Topic} for group {Group} (attempt {Attempt} of {MaxAttempts}); asking Dapr to retry")]
    public static partial void HandlerFailed(ILogger logger, string handler, string eventId, string topic, string group, int attempt, int maxAttempts, Exception exception);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Event {EventId} of {Topic} for group {Group} failed {Attempts} times; published to {DeadLetterTopic}")]
    public static partial void DeadLettered(ILogger logger, string eventId, string topic, string group, int attempts, string deadLetterTopic, Exception exception);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Dropped a delivery on {Topic} that is not a readable CloudEvent: {Reason}")]
    public static partial void Malformed(ILogger logger, string topic, string reason);
}
