using System.Diagnostics;
using System.Text;
using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;
using Mesh.Backends.Embedded;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Audit.Tests;

public sealed class CrashRecoveryTests
{
    private const string Origin = "mesh.test/crash";

    [Fact]
    public async Task Sigkill_DuringAppendStream_RestartContinuesConsistentAndLosesNothingIntegrated()
    {
        var directory = Directory.CreateTempSubdirectory("mesh-audit-crash-").FullName;
        try
        {
            var signer = NoteSigner.Generate(Origin);
            var keyFile = Path.Combine(directory, "log.key");
            await File.WriteAllTextAsync(keyFile, signer.SignerKey);
            var acknowledged = new Dictionary<long, string>();
            string? lastNote = null;
            using (var host = StartHost(directory, keyFile))
            {
                while (acknowledged.Count < 3000 && await host.StandardOutput.ReadLineAsync() is { } line)
                {
                    var parts = line.Split(' ');
                    if (parts[0] == "A")
                    {
                        acknowledged[long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)] = parts[2];
                    }
                    else if (parts[0] == "C")
                    {
                        lastNote = Encoding.UTF8.GetString(Convert.FromBase64String(parts[1]));
                    }
                }

                // Process.Kill is SIGKILL on Unix: no chance to flush or stop cleanly.
                host.Kill(entireProcessTree: true);
                await host.WaitForExitAsync();
            }

            acknowledged.Should().HaveCountGreaterThanOrEqualTo(3000, "the host must have been appending when it was killed");
            var before = Checkpoint.Open(lastNote!, signer.Verifier, Origin);

            await using var store = SqliteStateStore.Open(new EmbeddedOptions { DataDirectory = directory });
            var options = Microsoft.Extensions.Options.Options.Create(new AuditOptions { Origin = Origin, BatchDelay = TimeSpan.Zero });
            using var sequencer = new AuditSequencer(store, signer, options, TimeProvider.System, NullLogger<AuditSequencer>.Instance);
            await sequencer.StartAsync(CancellationToken.None);
            var sizeAfterRestart = await new AuditLogReader(store, options).GetSizeAsync();
            var next = await sequencer.AppendAsync(AuditHarness.Event(1));
            await sequencer.StopAsync(CancellationToken.None);
            var reader = new AuditLogReader(store, options);
            var after = Checkpoint.Open((await reader.GetCheckpointAsync())!.Note, signer.Verifier, Origin);
            var proof = await reader.GetConsistencyProofAsync(before.Size, after.Size);
            var report = await new LogVerifier(store, options.Value.KeyPrefix, Origin, signer.Verifier).VerifyAsync();

            next.Index.Should().Be(sizeAfterRestart, "the log continues where the durable state ended");
            sizeAfterRestart.Should().BeGreaterThanOrEqualTo(before.Size);
            MerkleVerifier.VerifyConsistency(before.Size, after.Size, before.RootHash, after.RootHash, proof.Hashes).Should().BeTrue();
            report.IsValid.Should().BeTrue(string.Join("; ", report.Problems.Take(3)));
            var stored = new List<LogEntry>();
            for (var start = 0L; start <= acknowledged.Keys.Max(); start += 1000)
            {
                stored.AddRange(await reader.GetEntriesAsync(start, 1000));
            }

            foreach (var (index, leafHash) in acknowledged)
            {
                Convert.ToHexStringLower(stored[(int)index].LeafHash).Should().Be(leafHash, $"entry {index} was acknowledged before the kill");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Process StartHost(string directory, string keyFile)
    {
        var hostDll = Path.Combine(AppContext.BaseDirectory, "Mesh.Audit.CrashHost.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(hostDll);
        start.ArgumentList.Add(directory);
        start.ArgumentList.Add(keyFile);
        start.ArgumentList.Add(Origin);
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the crash host.");
    }
}
