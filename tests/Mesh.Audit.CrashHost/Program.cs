using Mesh.Audit;
using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;
using Mesh.Auditing;
using Mesh.Backends.Embedded;
using Microsoft.Extensions.Logging.Abstractions;

// Usage: Mesh.Audit.CrashHost <data directory> <signer key file> <origin>
// Appends forever from 32 concurrent writers over the Embedded SQLite store and prints, for every
// integrated append, "A <index> <leaf hash hex>", and for every newer checkpoint "C <base64 note>".
var store = SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = args[0], Synchronous = SqliteSynchronous.Full });
var signer = NoteSigner.Parse(File.ReadAllText(args[1]));
var options = Microsoft.Extensions.Options.Options.Create(new AuditOptions { Origin = args[2], BatchDelay = TimeSpan.FromMilliseconds(1), MaxBatchSize = 64 });
var sequencer = new AuditSequencer(store, signer, options, TimeProvider.System, NullLogger<AuditSequencer>.Instance);
await sequencer.StartAsync(CancellationToken.None);
var output = Console.Out;
var gate = new Lock();
long lastCheckpoint = 0;
var counter = 0L;

await Task.WhenAll(Enumerable.Range(0, 32).Select(async writer =>
{
    while (true)
    {
        var n = Interlocked.Increment(ref counter);
        var result = await sequencer.AppendAsync(new AuditEvent
        {
            Type = AuditEventTypes.DocumentAccepted,
            Time = DateTimeOffset.UnixEpoch.AddSeconds(1_790_000_000 + n),
            Actor = $"000.00.{writer:D2}.G01",
            DocumentId = $"crash-{n}",
        });
        lock (gate)
        {
            output.WriteLine($"A {result.Index} {Convert.ToHexStringLower(result.LeafHash)}");
            if (result.TreeSize > lastCheckpoint)
            {
                lastCheckpoint = result.TreeSize;
                output.WriteLine($"C {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(result.SignedCheckpoint))}");
            }

            output.Flush();
        }
    }
}));
