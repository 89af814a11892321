using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;

namespace Mesh.Audit.Tests;

public sealed class TileStorageTests
{
    [Fact]
    public async Task Tiles_SizesCrossing256And65536_ReproduceInMemoryRootsAndProofs()
    {
        await using var harness = new AuditHarness(maxBatchSize: 4000);
        var sequencer = await harness.StartSequencerAsync();
        var tree = new MemoryMerkleTree();
        const int total = 65536 + 300;
        var events = Enumerable.Range(0, total).Select(i => AuditHarness.Event(i)).ToArray();
        foreach (var e in events)
        {
            tree.AppendEntry(AuditEventCodec.Encode(e));
        }

        await Task.WhenAll(events.Select(e => sequencer.AppendAsync(e)));

        foreach (var size in new long[] { 1, 2, 255, 256, 257, 511, 512, 513, 65535, 65536, 65537, total })
        {
            (await harness.Reader.GetRootAsync(size)).Should().Equal(tree.RootAt(size), $"size {size}");
        }

        var random = new Random(65536);
        for (var i = 0; i < 50; i++)
        {
            var size = random.NextInt64(1, total + 1);
            var index = random.NextInt64(0, size);
            var old = random.NextInt64(1, size + 1);
            (await harness.Reader.GetInclusionProofAsync(index, size)).Hashes.Should().BeEquivalentTo(tree.Inclusion(index, size), o => o.WithStrictOrdering());
            (await harness.Reader.GetConsistencyProofAsync(old, size)).Hashes.Should().BeEquivalentTo(tree.Consistency(old, size), o => o.WithStrictOrdering());
        }
    }

    [Fact]
    public async Task PartialTiles_WhenTileFills_AreReplacedByFullOnes()
    {
        await using var harness = new AuditHarness(maxBatchSize: 100);
        var sequencer = await harness.StartSequencerAsync();
        for (var i = 0; i < 200; i++)
        {
            await sequencer.AppendAsync(AuditHarness.Event(i));
        }

        var partialBefore = harness.Store.Keys("audit/tile/");
        for (var i = 200; i < 300; i++)
        {
            await sequencer.AppendAsync(AuditHarness.Event(i));
        }

        var after = harness.Store.Keys("audit/tile/");

        partialBefore.Should().BeEquivalentTo(["audit/tile/0/000.p/200", "audit/tile/entries/000.p/200"]);
        after.Should().BeEquivalentTo(["audit/tile/0/000", "audit/tile/0/001.p/44", "audit/tile/1/000.p/1", "audit/tile/entries/000", "audit/tile/entries/001.p/44"]);
    }

    [Fact]
    public async Task IndexPostings_OneBatch_OneKeyPerTermAndHashBucket()
    {
        // The batch integrates as soon as it is full; the 1 s linger only bounds how long it may wait.
        await using var harness = new AuditHarness(maxBatchSize: 300, batchDelay: TimeSpan.FromSeconds(1));
        var sequencer = await harness.StartSequencerAsync();
        var events = Enumerable.Range(0, 300).Select(i => AuditHarness.Event(i)).ToArray();

        var results = await Task.WhenAll(events.Select(e => sequencer.AppendAsync(e)));

        results.Select(r => r.TreeSize).Distinct().Should().Equal([300L], "all 300 appends rode in one batch");
        var agencyKeys = harness.Store.Keys("audit/idx/agency/");
        agencyKeys.Should().Equal("audit/idx/agency/000.00.00.G22/00000000000000000299", "audit/idx/agency/000.00.00.H49/00000000000000000299");
        Postings.Decode((await harness.Store.GetAsync(agencyKeys[0]))!.Value.Span, null).Should().Equal(Enumerable.Range(0, 300).Select(i => (long)i));
        harness.Store.Keys("audit/idx/type/").Should().ContainSingle();
        harness.Store.Keys("audit/idx/day/").Should().ContainSingle();
        harness.Store.Keys("audit/idx/doc/").Should().HaveCount(events.Select(e => Postings.DocumentHash(e.DocumentId)[0]).Distinct().Count());
        harness.Store.Keys("audit/idx/leaf/").Should().HaveCount(results.Select(r => r.LeafHash[0]).Distinct().Count());
    }
}
