using Microsoft.Extensions.Logging;

namespace Mesh.Backends.Redis;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Dispatching {Topic} to consumer group {Group} as consumer {Consumer}")]
    public static partial void LaneStarted(ILogger logger, string topic, string group, string consumer);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Dispatcher for {Topic}/{Group} failed; restarting it")]
    public static partial void LaneFailed(ILogger logger, string topic, string group, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Handler {Handler} failed on event {EventId} of {Topic} for group {Group} (attempt {Attempt} of {MaxAttempts}); retrying in {Delay}")]
    public static partial void HandlerFailed(ILogger logger, string handler, string eventId, string topic, string group, long attempt, int maxAttempts, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Event {EventId} of {Topic} for group {Group} failed {Attempts} times; moved to {DeadLetterTopic}")]
    public static partial void DeadLettered(ILogger logger, string eventId, string topic, string group, long attempts, string deadLetterTopic, Exception exception);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Reclaimed {Count} events of {Topic}/{Group} left pending by silent consumers")]
    public static partial void Reclaimed(ILogger logger, int count, string topic, string group);
}
