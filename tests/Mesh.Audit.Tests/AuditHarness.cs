using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;
using Mesh.Audit.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Mesh.Audit.Tests;

/// <summary>A sequencer, a reader and a verifier over one in-memory store.</summary>
internal sealed class AuditHarness : IAsyncDisposable
{
    public const string Origin = "mesh.test/audit";

    private readonly List<AuditSequencer> _sequencers = [];

    public AuditHarness(InMemoryStateStore? store = null, NoteSigner? signer = null, int maxBatchSize = 4096, TimeSpan? batchDelay = null)
    {
        Store = store ?? new InMemoryStateStore();
        Signer = signer ?? NoteSigner.Generate(Origin);
        Options = Microsoft.Extensions.Options.Options.Create(new AuditOptions
        {
            Origin = Origin,
            BatchDelay = batchDelay ?? TimeSpan.Zero,
            MaxBatchSize = maxBatchSize,
        });
        Reader = new AuditLogReader(Store, Options);
    }

    public InMemoryStateStore Store { get; }

    public NoteSigner Signer { get; }

    public IOptions<AuditOptions> Options { get; }

    public AuditLogReader Reader { get; }

    public NoteVerifier PublishedKey => NoteVerifier.Parse(Signer.Verifier.VerifierKey);

    public LogVerifier Verifier(InMemoryStateStore? store = null) => new(store ?? Store, Options.Value.KeyPrefix, Origin, PublishedKey);

    public async Task<AuditSequencer> StartSequencerAsync()
    {
        var sequencer = new AuditSequencer(Store, Signer, Options, TimeProvider.System, NullLogger<AuditSequencer>.Instance);
        await sequencer.StartAsync(CancellationToken.None);
        _sequencers.Add(sequencer);
        return sequencer;
    }

    public static AuditEvent Event(int i, string? type = null, string? actor = null, string? documentId = null, DateTimeOffset? time = null) => new()
    {
        Type = type ?? Mesh.Auditing.AuditEventTypes.DocumentAccepted,
        Time = time ?? new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero).AddSeconds(i),
        Actor = actor ?? "000.00.00.G22",
        DocumentId = documentId ?? $"000.00.00.G22,2026/11/30,{i}/VPCP",
        Counterparts = ["000.00.00.H49"],
        Digests = [Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))],
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _sequencers)
        {
            await s.StopAsync(CancellationToken.None);
            s.Dispose();
        }
    }
}
