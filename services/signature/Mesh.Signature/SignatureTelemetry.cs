using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Signature;

/// <summary>Every telemetry name of the signature service, in one place.</summary>
public sealed class SignatureTelemetry : IDisposable
{
    public const string Name = "Mesh.Signature";

    public SignatureTelemetry(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(Name);
        Verifications = Meter.CreateCounter<long>("mesh.signature.verifications", "{signature}", "Signatures verified, by format and indication");
        VerificationDuration = Meter.CreateHistogram<double>("mesh.signature.verification.duration", "s", "Time to verify one input");
        ChainCacheHits = Meter.CreateCounter<long>("mesh.signature.chain_cache.hits", "{lookup}", "Chain validations answered from the cache");
        ChainCacheMisses = Meter.CreateCounter<long>("mesh.signature.chain_cache.misses", "{lookup}", "Chain validations computed");
        Signatures = Meter.CreateCounter<long>("mesh.signature.hub_signatures", "{signature}", "CMS signatures made with the hub key");
    }

    public static ActivitySource ActivitySource { get; } = new(Name);

    public Meter Meter { get; }

    public Counter<long> Verifications { get; }

    public Histogram<double> VerificationDuration { get; }

    public Counter<long> ChainCacheHits { get; }

    public Counter<long> ChainCacheMisses { get; }

    public Counter<long> Signatures { get; }

    public void Dispose() => Meter.Dispose();
}
