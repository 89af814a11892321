using Mesh.Events;

namespace Mesh.Testing.Conformance;

/// <summary>Event types that make <see cref="ScriptedHandler{TGroup}"/> misbehave on purpose.</summary>
public static class Scripts
{
    /// <summary>Handled normally.</summary>
    public const string Ok = "mesh.test.ok";

    /// <summary>Throws on the first two deliveries, succeeds on the third.</summary>
    public const string FailTwice = "mesh.test.fail-twice";

    /// <summary>Always throws.</summary>
    public const string FailAlways = "mesh.test.fail-always";

    /// <summary>Never completes until the delivery is cancelled (the process stops).</summary>
    public const string BlockUntilStopped = "mesh.test.block";
}

/// <summary>Consumer group marker.</summary>
public sealed class GroupA;

/// <summary>Consumer group marker.</summary>
public sealed class GroupB;

/// <summary>Consumer group marker for dead-letter readers.</summary>
public sealed class DeadLetterReaders;

/// <summary>Records each delivery, then behaves as the event's <see cref="CloudEvent.Type"/> says (see <see cref="Scripts"/>).</summary>
/// <typeparam name="TGroup">A marker naming the consumer group in the probe.</typeparam>
public sealed class ScriptedHandler<TGroup>(EventProbe probe) : IEventHandler
{
    /// <summary>The name deliveries are recorded under.</summary>
    public static string Name => typeof(TGroup).Name;

    /// <inheritdoc />
    public async Task HandleAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        var attempt = probe.Record(Name, cloudEvent);
        switch (cloudEvent.Type)
        {
            case Scripts.FailTwice when attempt <= 2:
                throw new InvalidOperationException($"Scripted failure {attempt} of 2.");
            case Scripts.FailAlways:
                throw new InvalidOperationException("Scripted permanent failure.");
            case Scripts.BlockUntilStopped:
                await new TaskCompletionSource().Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                break;
        }
    }
}

/// <summary>Only records deliveries.</summary>
/// <typeparam name="TGroup">A marker naming the consumer group in the probe.</typeparam>
public sealed class RecordingHandler<TGroup>(EventProbe probe) : IEventHandler
{
    /// <summary>The name deliveries are recorded under.</summary>
    public static string Name => typeof(TGroup).Name;

    /// <inheritdoc />
    public Task HandleAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        probe.Record(Name, cloudEvent);
        return Task.CompletedTask;
    }
}
