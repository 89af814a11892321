using Mesh.Events;

namespace Mesh.Routing.Infrastructure;

/// <summary>
/// Wakes the watchers of the agency an event concerns (its subject). Waking twice is harmless, so
/// redeliveries need no bookkeeping; watches read the stored inbox, never the event.
/// </summary>
internal sealed class InboxWakeHandler(InboxNotifier notifier) : IEventHandler
{
    public Task HandleAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        if (!string.IsNullOrEmpty(cloudEvent.Subject))
        {
            notifier.Pulse(cloudEvent.Subject);
        }

        return Task.CompletedTask;
    }
}
