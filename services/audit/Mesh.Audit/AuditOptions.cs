using System.ComponentModel.DataAnnotations;

namespace Mesh.Audit;

/// <summary>Audit log settings, bound from <c>Mesh:Audit</c>.</summary>
public sealed class AuditOptions
{
    public const string Section = "Mesh:Audit";

    /// <summary>C2SP tlog-checkpoint origin: the log's unique name, first line of every checkpoint; also the key name.</summary>
    [Required]
    [RegularExpression(@"^[^\s+]+$")]
    public string Origin { get; set; } = "mesh.local/audit";

    /// <summary>Signer key file (Go note format <c>PRIVATE+KEY+…</c>). Empty: <c>audit-log.key</c> in <see cref="DataDirectory"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Where a generated key is kept.</summary>
    [Required]
    public string DataDirectory { get; set; } = ".mesh-data";

    /// <summary>Generate the log key on first run (development); production mounts a key and sets this to false.</summary>
    public bool GenerateKeyIfMissing { get; set; } = true;

    /// <summary>Prefix of every state key the log writes, so it can share a store with other services.</summary>
    [Required]
    [RegularExpression(@"^[a-z0-9\-_]+/$")]
    public string KeyPrefix { get; set; } = "audit/";

    /// <summary>How long the sequencer waits for more appends before integrating a batch that is not full.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan BatchDelay { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Largest number of entries integrated in one transaction.</summary>
    [Range(1, 65536)]
    public int MaxBatchSize { get; set; } = 4096;

    /// <summary>Appends waiting for the sequencer before callers are made to wait (back-pressure).</summary>
    [Range(1, 10_000_000)]
    public int MaxPendingAppends { get; set; } = 100_000;

    /// <summary>Attempts at committing one batch when another sequencer moved the tree in between.</summary>
    [Range(1, 100)]
    public int MaxCommitAttempts { get; set; } = 10;

    /// <summary>
    /// Full tiles kept in memory for proofs, each with its inner nodes (16 KiB): 4,096 cover every
    /// level-0 tile of a 1,000,000-entry log. Partial tiles get a small cache of their own.
    /// </summary>
    [Range(0, 1_000_000)]
    public int TileCacheSize { get; set; } = 4096;
}
