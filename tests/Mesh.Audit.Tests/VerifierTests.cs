using System.Globalization;
using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;
using Mesh.Audit.Testing;

namespace Mesh.Audit.Tests;

public sealed class VerifierTests
{
    private static async Task<AuditHarness> LogWithEntriesAsync(int count)
    {
        var harness = new AuditHarness(maxBatchSize: 50);
        var sequencer = await harness.StartSequencerAsync();
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => sequencer.AppendAsync(AuditHarness.Event(i))));
        await harness.DisposeAsync();
        return harness;
    }

    private static async Task RewriteBundleAsync(InMemoryStateStore store, string key, Func<List<byte[]>, List<byte[]>> change)
    {
        var item = await store.GetAsync(key);
        await store.SetAsync(key, TileLayout.EncodeBundle(change(TileLayout.DecodeBundle(item!.Value.Span))));
    }

    [Fact]
    public async Task VerifyAsync_UntouchedLog_IsValid()
    {
        var harness = await LogWithEntriesAsync(70000);

        var report = await harness.Verifier(harness.Store.Copy()).VerifyAsync();

        report.IsValid.Should().BeTrue(string.Join("; ", report.Problems.Take(3)));
        report.EntriesChecked.Should().Be(70000);
        report.CheckpointsChecked.Should().BeGreaterThan(1);
        report.FirstBadIndex.Should().BeNull();
    }

    [Fact]
    public async Task VerifyAsync_ModifiedEntry_ReportsItsIndex()
    {
        var harness = await LogWithEntriesAsync(600);
        var copy = harness.Store.Copy();
        await RewriteBundleAsync(copy, "audit/tile/entries/001", entries =>
        {
            entries[37] = AuditEventCodec.Encode(AuditHarness.Event(9999));
            return entries;
        });

        var report = await harness.Verifier(copy).VerifyAsync();

        report.IsValid.Should().BeFalse();
        report.FirstBadIndex.Should().Be(256 + 37);
        report.Problems.Should().Contain(p => p.Kind == "leaf-hash-mismatch" && p.Index == 293);
    }

    [Fact]
    public async Task VerifyAsync_DeletedEntryInsideBundle_ReportsItsIndex()
    {
        var harness = await LogWithEntriesAsync(600);
        var copy = harness.Store.Copy();
        // The partial bundle is stored as pieces, one per batch: remove entry 10 from the piece that holds it.
        var piece = copy.Keys("audit/tail/entries/002/")
            .Select(k => (Key: k, Start: int.Parse(k[^7..^4], CultureInfo.InvariantCulture), End: int.Parse(k[^3..], CultureInfo.InvariantCulture)))
            .Single(p => p.Start <= 10 && 10 < p.End);
        await RewriteBundleAsync(copy, piece.Key, entries =>
        {
            entries.RemoveAt(10 - piece.Start);
            return entries;
        });

        var report = await harness.Verifier(copy).VerifyAsync();

        report.FirstBadIndex.Should().Be(512 + 10);
    }

    [Fact]
    public async Task VerifyAsync_DeletedBundle_ReportsItsFirstIndex()
    {
        var harness = await LogWithEntriesAsync(600);
        var copy = harness.Store.Copy();
        await copy.DeleteAsync("audit/tile/entries/001");

        var report = await harness.Verifier(copy).VerifyAsync();

        report.FirstBadIndex.Should().Be(256);
        report.Problems.Should().Contain(p => p.Kind == "entry-bundle-missing");
    }

    [Fact]
    public async Task VerifyAsync_EntryAndTilesRewrittenConsistently_CaughtByCheckpoints()
    {
        var harness = await LogWithEntriesAsync(300);
        var copy = harness.Store.Copy();
        var forged = AuditEventCodec.Encode(AuditHarness.Event(424242));
        await RewriteBundleAsync(copy, "audit/tile/entries/000", entries =>
        {
            entries[5] = forged;
            return entries;
        });
        var tile = TileLayout.DecodeTile((await copy.GetAsync("audit/tile/0/000"))!.Value.Span);
        tile[5] = MerkleHasher.HashLeaf(forged);
        await copy.SetAsync("audit/tile/0/000", TileLayout.EncodeTile(tile));

        var report = await harness.Verifier(copy).VerifyAsync();

        report.IsValid.Should().BeFalse();
        report.Problems.Should().Contain(p => p.Kind == "checkpoint-root-mismatch");
        report.FirstBadIndex.Should().BeLessThanOrEqualTo(5);
    }

    [Fact]
    public async Task VerifyAsync_CheckpointSignedByAnotherKey_IsReported()
    {
        var harness = await LogWithEntriesAsync(10);
        var copy = harness.Store.Copy();
        var impostor = NoteSigner.Generate(AuditHarness.Origin);
        var real = Checkpoint.Parse(SignedNote.Parse(System.Text.Encoding.UTF8.GetString((await copy.GetAsync("audit/checkpoint"))!.Value.Span)).Text);
        await copy.SetAsync("audit/checkpoint", System.Text.Encoding.UTF8.GetBytes(impostor.Sign(real.ToText()).Format()));

        var report = await harness.Verifier(copy).VerifyAsync();

        report.Problems.Should().ContainSingle().Which.Kind.Should().Be("checkpoint-signature-invalid");
    }
}
