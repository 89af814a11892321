using System.Collections.Concurrent;
using Mesh.Auditing;

namespace Mesh.Testing;

/// <summary>An audit trail that keeps every record in memory so tests can assert what was audited.</summary>
public sealed class RecordingAuditTrail : IAuditTrail
{
    private readonly ConcurrentQueue<AuditRecord> records = new();
    private long next = -1;

    /// <summary>Every record so far, in order.</summary>
    public IReadOnlyList<AuditRecord> Records => [.. records];

    /// <inheritdoc />
    public ValueTask<long> RecordAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        records.Enqueue(record);
        return ValueTask.FromResult(Interlocked.Increment(ref next));
    }
}
