using System.Diagnostics.Metrics;
using Mesh.Signature.Domain;
using Mesh.Signature.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Signature.Tests.Support;

/// <summary>The real engine wired by hand: in-memory registry, fake clock, real crypto.</summary>
internal sealed class Harness
{
    private static readonly IMeterFactory s_meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    public Harness(TestPki pki, Action<SignatureOptions>? configure = null)
    {
        Pki = pki;
        Time = new FakeTimeProvider(pki.Now);
        configure?.Invoke(Options);
        Trust.Set(anchors: [pki.Root], intermediates: [pki.Intermediate], crls: [pki.Crl(pki.Root), pki.Crl(pki.Intermediate)]);
        Validation = new SignatureValidation(Trust, Bindings, Options, Time);
        var cms = new CmsSignatureReader(Validation);
        Verifier = new SignatureVerifier(
            Validation,
            cms,
            new PdfSignatureReader(cms, Options),
            new XmlSignatureReader(Validation),
            new SignatureTelemetry(s_meters),
            NullLogger<SignatureVerifier>.Instance);
    }

    public TestPki Pki { get; }

    public FakeTimeProvider Time { get; }

    public SignatureOptions Options { get; } = new();

    public InMemoryTrust Trust { get; } = new();

    public InMemoryBindings Bindings { get; } = new();

    public SignatureValidation Validation { get; }

    public SignatureVerifier Verifier { get; }

    public static DateTimeOffset RealNow() => new(DateTimeOffset.UtcNow.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
