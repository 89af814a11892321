using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Audit;

/// <summary>Every telemetry name of the audit service ("Mesh.Audit").</summary>
public static class AuditTelemetry
{
    public const string Name = "Mesh.Audit";

    public static readonly ActivitySource ActivitySource = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Appends = Meter.CreateCounter<long>("mesh.audit.appends", "{entry}", "Entries integrated into the log.");

    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("mesh.audit.batch.size", "{entry}", "Entries integrated per transaction.");

    public static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>("mesh.audit.batch.duration", "ms", "Time to integrate and commit one batch.");

    public static readonly Counter<long> IdempotentRepeats = Meter.CreateCounter<long>("mesh.audit.idempotent_repeats", "{append}", "Appends answered with an earlier entry because their idempotency key was used before.");

    public static readonly Counter<long> CommitConflicts = Meter.CreateCounter<long>("mesh.audit.commit.conflicts", "{conflict}", "Batches retried because another sequencer moved the tree.");

    public static readonly Counter<long> VerificationProblems = Meter.CreateCounter<long>("mesh.audit.verify.problems", "{problem}", "Mismatches found by the log verifier.");
}
