using Mesh.Auditing;
using Mesh.Errors;

namespace Mesh.Registry.Infrastructure;

/// <summary>
/// The registry's audit trail when the log runs in another process: holds records back until the
/// start-up bootstrap has bound the services' certificates. Before that the audit service cannot
/// authenticate the registry (it asks the registry, which does not know the audit service's certificate
/// either and records that refusal in the log, which asks the registry, …): holding the first records
/// breaks that loop. Afterwards every record goes straight to <paramref name="inner"/>.
/// </summary>
public sealed class StartupAuditTrail(IAuditTrail inner) : IAuditTrail
{
    private readonly Lock gate = new();
    private readonly List<AuditRecord> held = [];
    private bool open;

    public ValueTask<long> RecordAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            if (!open)
            {
                held.Add(record);
                return ValueTask.FromResult(-1L);
            }
        }

        return inner.RecordAsync(record, cancellationToken);
    }

    /// <summary>Lets records through and writes the held ones; throws (keeping the rest) if the log cannot take them yet or the wait is cancelled.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        List<AuditRecord> pending;
        lock (gate)
        {
            open = true;
            pending = [.. held];
            held.Clear();
        }

        for (var i = 0; i < pending.Count; i++)
        {
            try
            {
                await inner.RecordAsync(pending[i], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MeshException or OperationCanceledException)
            {
                lock (gate)
                {
                    held.InsertRange(0, pending.Skip(i));
                }

                throw;
            }
        }
    }
}
