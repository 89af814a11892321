using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mesh.Testing.Logging;

/// <summary>Keeps every log line of a host in memory, for assertions on what a service logged and for failure messages.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    /// <summary>The lines so far, oldest first: <c>level category: message</c> and the exception if any.</summary>
    public IReadOnlyList<string> Lines => [.. lines];

    /// <summary>All lines as one text.</summary>
    public override string ToString() => string.Join(Environment.NewLine, lines);

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            var line = $"{logLevel} {category}: {formatter(state, exception)}";
            lines.Enqueue(exception is null ? line : line + Environment.NewLine + "  " + exception.GetType().Name + ": " + exception.Message);
        }
    }
}
