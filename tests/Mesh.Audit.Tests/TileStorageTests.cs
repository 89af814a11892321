using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;
using Mesh.Audit.Testing;

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
    public async Task PartialTiles_OnePiecePerBatch_ReplacedByFullTileWhenItFills()
    {
        await using var harness = new AuditHarness(maxBatchSize: 100);
        var sequencer = await harness.StartSequencerAsync();
        for (var i = 0; i < 200; i++)
        {
            await sequencer.AppendAsync(AuditHarness.Event(i));
        }

        var tilesBefore = harness.Store.Keys("audit/tile/");
        var piecesBefore = harness.Store.Keys("audit/tail/");
        var lastPiece = await harness.Store.GetAsync("audit/tail/0/000/199-200");
        for (var i = 200; i < 300; i++)
        {
            await sequencer.AppendAsync(AuditHarness.Event(i));
        }

        // Each append rode alone in its batch: one piece per batch and level, holding only that batch's items.
        tilesBefore.Should().BeEmpty("no tile is full yet");
        piecesBefore.Should().HaveCount(400);
        piecesBefore.Should().Contain(["audit/tail/0/000/000-001", "audit/tail/0/000/199-200", "audit/tail/entries/000/000-001", "audit/tail/entries/000/199-200"]);
        lastPiece!.Value.Length.Should().Be(MerkleHasher.HashSize, "a piece holds the batch's own hashes, not the tile so far");
        harness.Store.Keys("audit/tile/").Should().BeEquivalentTo(["audit/tile/0/000", "audit/tile/entries/000"]);
        var piecesAfter = harness.Store.Keys("audit/tail/");
        piecesAfter.Should().HaveCount(44 + 44 + 1).And.Contain(["audit/tail/0/001/043-044", "audit/tail/entries/001/000-001", "audit/tail/1/000/000-001"]);
        piecesAfter.Should().NotContain(k => k.StartsWith("audit/tail/0/000/", StringComparison.Ordinal), "the pieces of a filled tile go with the commit that fills it");
        (await harness.Reader.GetEntriesAsync(190, 300)).Select(e => e.Index).Should().Equal(Enumerable.Range(190, 110).Select(i => (long)i));
        (await harness.Verifier().VerifyAsync()).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task PartialTiles_ManySmallBatches_ReproduceRootsProofsAndEntriesAtEverySize()
    {
        await using var harness = new AuditHarness(maxBatchSize: 7);
        var sequencer = await harness.StartSequencerAsync();
        var tree = new MemoryMerkleTree();
        var random = new Random(7);
        var appended = 0;
        var sizes = new List<long>();
        while (appended < 600)
        {
            // Batches of 1 to 7 entries, so pieces start and end anywhere inside a tile.
            var count = Math.Min(random.Next(1, 8), 600 - appended);
            var events = Enumerable.Range(appended, count).Select(i => AuditHarness.Event(i)).ToArray();
            foreach (var e in events)
            {
                tree.AppendEntry(AuditEventCodec.Encode(e));
            }

            await Task.WhenAll(events.Select(e => sequencer.AppendAsync(e)));
            appended += count;
            sizes.Add(appended);
            var size = (long)appended;
            (await harness.Reader.GetRootAsync(size)).Should().Equal(tree.RootAt(size), $"size {size}");
            var index = random.NextInt64(0, size);
            (await harness.Reader.GetInclusionProofAsync(index, size)).Hashes.Should().BeEquivalentTo(tree.Inclusion(index, size), o => o.WithStrictOrdering(), $"index {index} of {size}");
            var old = random.NextInt64(1, size + 1);
            (await harness.Reader.GetConsistencyProofAsync(old, size)).Hashes.Should().BeEquivalentTo(tree.Consistency(old, size), o => o.WithStrictOrdering(), $"{old} to {size}");
        }

        var entries = await harness.Reader.GetEntriesAsync(0, 600);
        entries.Select(e => e.Data).Should().BeEquivalentTo(Enumerable.Range(0, 600).Select(i => AuditEventCodec.Encode(AuditHarness.Event(i))), o => o.WithStrictOrdering());
        (await harness.Verifier().VerifyAsync()).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task PartialTiles_StoredWholeByAnEarlierVersion_AreReadContinuedAndDeletedWhenFull()
    {
        var store = new InMemoryStateStore();
        NoteSigner signer;
        await using (var first = new AuditHarness(store, maxBatchSize: 50))
        {
            signer = first.Signer;
            var sequencer = await first.StartSequencerAsync();
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => sequencer.AppendAsync(AuditHarness.Event(i))));
        }

        // Rewrite the pieces as the whole partial tiles an earlier version stored (".p/200").
        foreach (var (level, legacy) in new[] { ("0", "audit/tile/0/000.p/200"), ("entries", "audit/tile/entries/000.p/200") })
        {
            var pieces = store.Keys($"audit/tail/{level}/000/");
            var joined = new List<byte>();
            foreach (var key in pieces)
            {
                joined.AddRange((await store.GetAsync(key))!.Value.ToArray());
                await store.DeleteAsync(key);
            }

            await store.SetAsync(legacy, joined.ToArray());
        }

        await using var harness = new AuditHarness(store, signer, maxBatchSize: 50);
        var tree = new MemoryMerkleTree();
        foreach (var i in Enumerable.Range(0, 300))
        {
            tree.AppendEntry(AuditEventCodec.Encode(AuditHarness.Event(i)));
        }

        var reader = harness.Reader;
        (await reader.GetRootAsync(200)).Should().Equal(tree.RootAt(200));
        var resumed = await harness.StartSequencerAsync();
        await resumed.AppendAsync(AuditHarness.Event(200));
        (await reader.GetEntriesAsync(195, 201)).Select(e => e.Index).Should().Equal(195L, 196L, 197L, 198L, 199L, 200L);
        (await reader.GetInclusionProofAsync(150, 201)).Hashes.Should().BeEquivalentTo(tree.Inclusion(150, 201), o => o.WithStrictOrdering());
        await Task.WhenAll(Enumerable.Range(201, 99).Select(i => resumed.AppendAsync(AuditHarness.Event(i))));

        (await reader.GetRootAsync(300)).Should().Equal(tree.RootAt(300));
        store.Keys("audit/tile/").Should().NotContain(k => k.Contains(".p/", StringComparison.Ordinal), "the legacy partial tiles go when their tile fills");
        var report = await harness.Verifier().VerifyAsync();
        report.IsValid.Should().BeTrue(string.Join("; ", report.Problems.Take(3)));
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
