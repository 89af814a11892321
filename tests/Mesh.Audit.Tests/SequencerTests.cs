using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;
using Mesh.State;

namespace Mesh.Audit.Tests;

public sealed class SequencerTests
{
    [Fact]
    public async Task AppendAsync_ConcurrentCallers_GetDistinctConsecutiveIndexes()
    {
        await using var harness = new AuditHarness(maxBatchSize: 64);
        var sequencer = await harness.StartSequencerAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => Task.Run(() => sequencer.AppendAsync(AuditHarness.Event(i)))));

        results.Select(r => r.Index).Order().Should().Equal(Enumerable.Range(0, 1000).Select(i => (long)i));
        (await harness.Reader.GetSizeAsync()).Should().Be(1000);
    }

    [Fact]
    public async Task AppendAsync_WithBatchDelay_IntegratesBatchesAndReturnsIndexes()
    {
        await using var harness = new AuditHarness(batchDelay: TimeSpan.FromMilliseconds(5));
        var sequencer = await harness.StartSequencerAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => sequencer.AppendAsync(AuditHarness.Event(i))));

        results.Select(r => r.Index).Should().OnlyHaveUniqueItems().And.HaveCount(200);
        results.Select(r => r.TreeSize).Distinct().Count().Should().BeLessThan(200, "appends are integrated in batches");
    }

    [Fact]
    public async Task Checkpoint_AfterNAppends_HasSizeNAndVerifiesWithPublishedKey()
    {
        await using var harness = new AuditHarness();
        var sequencer = await harness.StartSequencerAsync();
        var tree = new MemoryMerkleTree();
        for (var i = 0; i < 300; i++)
        {
            var e = AuditHarness.Event(i);
            tree.AppendEntry(AuditEventCodec.Encode(e));
            await sequencer.AppendAsync(e);
        }

        var latest = await harness.Reader.GetCheckpointAsync();
        var checkpoint = Checkpoint.Open(latest!.Note, NoteVerifier.Parse(harness.Signer.Verifier.VerifierKey), AuditHarness.Origin);

        checkpoint.Size.Should().Be(300);
        checkpoint.RootHash.Should().Equal(tree.Root());
    }

    [Fact]
    public async Task AppendResult_InclusionProofAgainstItsCheckpoint_Verifies()
    {
        await using var harness = new AuditHarness();
        var sequencer = await harness.StartSequencerAsync();
        for (var i = 0; i < 40; i++)
        {
            await sequencer.AppendAsync(AuditHarness.Event(i));
        }

        var receipt = await sequencer.AppendAsync(AuditHarness.Event(1000));
        for (var i = 41; i < 600; i++)
        {
            await sequencer.AppendAsync(AuditHarness.Event(i));
        }

        var checkpoint = Checkpoint.Open(receipt.SignedCheckpoint, harness.PublishedKey, AuditHarness.Origin);
        var proof = await harness.Reader.GetInclusionProofAsync(receipt.Index, checkpoint.Size);
        var byHash = await harness.Reader.GetInclusionProofByLeafHashAsync(receipt.LeafHash, checkpoint.Size);

        receipt.Index.Should().Be(40);
        MerkleVerifier.VerifyInclusion(receipt.Index, checkpoint.Size, receipt.LeafHash, proof.Hashes, checkpoint.RootHash).Should().BeTrue();
        byHash.LeafIndex.Should().Be(40);
        byHash.Hashes.Should().BeEquivalentTo(proof.Hashes, o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task AppendAsync_KeyUsedBefore_ReturnsFirstEntryAndAppendsNothing()
    {
        await using var harness = new AuditHarness();
        var sequencer = await harness.StartSequencerAsync();
        var first = await sequencer.AppendAsync(AuditHarness.Event(0, documentId: "d1"), "DOCUMENT_ACCEPTED/d1");
        await sequencer.AppendAsync(AuditHarness.Event(1));

        var again = await sequencer.AppendAsync(AuditHarness.Event(2, documentId: "d1"), "DOCUMENT_ACCEPTED/d1");
        var other = await sequencer.AppendAsync(AuditHarness.Event(3, documentId: "d2"), "DOCUMENT_ACCEPTED/d2");

        again.Index.Should().Be(first.Index);
        again.LeafHash.Should().Equal(first.LeafHash);
        other.Index.Should().Be(2, "a new key appends");
        (await harness.Reader.GetSizeAsync()).Should().Be(3);
        (await harness.Reader.GetEntriesAsync(0, 3)).Select(e => e.Event.Time).Should().NotContain(AuditHarness.Event(2).Time);
        (await harness.Verifier().VerifyAsync()).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task AppendAsync_SameKeyTwiceInOneBatch_OneEntryBothGetIt()
    {
        await using var harness = new AuditHarness(batchDelay: TimeSpan.FromMilliseconds(50));
        var sequencer = await harness.StartSequencerAsync();

        var results = await Task.WhenAll(
            sequencer.AppendAsync(AuditHarness.Event(0), "k"),
            sequencer.AppendAsync(AuditHarness.Event(1), "k"),
            sequencer.AppendAsync(AuditHarness.Event(2)));

        results[0].Index.Should().Be(results[1].Index);
        results[1].LeafHash.Should().Equal(results[0].LeafHash);
        results[2].Index.Should().NotBe(results[0].Index);
        (await harness.Reader.GetSizeAsync()).Should().Be(2);
    }

    [Fact]
    public async Task AppendAsync_KeyFromAnotherSequencer_FoundAfterRestart()
    {
        await using var harness = new AuditHarness();
        var first = await harness.StartSequencerAsync();
        var appended = await first.AppendAsync(AuditHarness.Event(0), "DOCUMENT_ACCEPTED/x");

        // A second sequencer over the same store: the key was written with the entry, not kept in memory.
        var second = await harness.StartSequencerAsync();
        var repeat = await second.AppendAsync(AuditHarness.Event(1), "DOCUMENT_ACCEPTED/x");

        repeat.Index.Should().Be(appended.Index);
        repeat.TreeSize.Should().Be(1);
        Checkpoint.Open(repeat.SignedCheckpoint, harness.PublishedKey, AuditHarness.Origin).Size.Should().Be(1);
        (await harness.Reader.GetSizeAsync()).Should().Be(1);
    }

    [Fact]
    public async Task AppendAsync_KeyTooLong_Refused()
    {
        await using var harness = new AuditHarness();
        var sequencer = await harness.StartSequencerAsync();

        var act = () => sequencer.AppendAsync(AuditHarness.Event(0), new string('k', AuditSequencer.MaxIdempotencyKeyLength + 1));

        (await act.Should().ThrowAsync<Mesh.Errors.MeshException>()).Which.Reason.Should().Be("IDEMPOTENCY_KEY_TOO_LONG");
    }

    [Fact]
    public async Task TwoSequencers_StaleOneAppends_GetsConflictRereadsAndNeverForks()
    {
        await using var harness = new AuditHarness();
        var first = await harness.StartSequencerAsync();
        var second = await harness.StartSequencerAsync();
        var a = await first.AppendAsync(AuditHarness.Event(0));
        var b = await second.AppendAsync(AuditHarness.Event(1));

        var c = await first.AppendAsync(AuditHarness.Event(2));

        new[] { a.Index, b.Index, c.Index }.Should().Equal(0, 1, 2);
        first.Conflicts.Should().Be(1);
        (await harness.Verifier().VerifyAsync()).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task TwoSequencers_ConcurrentStreams_AllEntriesOnceAndLogVerifies()
    {
        await using var harness = new AuditHarness(maxBatchSize: 16);
        var first = await harness.StartSequencerAsync();
        var second = await harness.StartSequencerAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 800).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).AppendAsync(AuditHarness.Event(i)))));

        results.Select(r => r.Index).Order().Should().Equal(Enumerable.Range(0, 800).Select(i => (long)i));
        var entries = new List<LogEntry>();
        for (var start = 0; start < 800; start += 500)
        {
            entries.AddRange(await harness.Reader.GetEntriesAsync(start, 500));
        }

        entries.Select(e => e.Event.Time).Should().OnlyHaveUniqueItems();
        for (var i = 0; i < results.Length; i++)
        {
            entries[(int)results[i].Index].Data.Should().Equal(AuditEventCodec.Encode(AuditHarness.Event(i)));
        }

        (await harness.Verifier().VerifyAsync()).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task Restart_AfterFailedTransaction_ContinuesAndStaysConsistentWithLastCheckpoint()
    {
        var harness = new AuditHarness(maxBatchSize: 7);
        var sequencer = await harness.StartSequencerAsync();
        var integrated = new List<AppendResult>();
        for (var i = 0; i < 100; i++)
        {
            integrated.Add(await sequencer.AppendAsync(AuditHarness.Event(i)));
        }

        var before = Checkpoint.Open((await harness.Reader.GetCheckpointAsync())!.Note, harness.PublishedKey);
        harness.Store.BeforeTransact = _ => throw new IOException("power lost");
        var lost = () => sequencer.AppendAsync(AuditHarness.Event(100));
        await lost.Should().ThrowAsync<IOException>();
        await harness.DisposeAsync();
        harness.Store.BeforeTransact = null;

        await using var restarted = new AuditHarness(harness.Store, harness.Signer, maxBatchSize: 7);
        var resumed = await restarted.StartSequencerAsync();
        var next = await resumed.AppendAsync(AuditHarness.Event(101));
        var after = Checkpoint.Open((await restarted.Reader.GetCheckpointAsync())!.Note, restarted.PublishedKey);
        var proof = await restarted.Reader.GetConsistencyProofAsync(before.Size, after.Size);

        next.Index.Should().Be(100);
        MerkleVerifier.VerifyConsistency(before.Size, after.Size, before.RootHash, after.RootHash, proof.Hashes).Should().BeTrue();
        var entries = await restarted.Reader.GetEntriesAsync(0, 101);
        entries.Take(100).Select(e => e.LeafHash).Should().BeEquivalentTo(integrated.Select(r => r.LeafHash), o => o.WithStrictOrdering());
        (await restarted.Verifier().VerifyAsync()).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task AppendAsync_InvalidEvent_ThrowsBeforeQueueing()
    {
        await using var harness = new AuditHarness();
        var sequencer = await harness.StartSequencerAsync();

        var act = () => sequencer.AppendAsync(AuditHarness.Event(0, actor: "not an organ id"));

        await act.Should().ThrowAsync<Mesh.Errors.MeshException>().Where(e => e.Reason == "AUDIT_EVENT_INVALID");
        (await harness.Reader.GetSizeAsync()).Should().Be(0);
    }

    [Fact]
    public async Task Transaction_EveryBatch_IsGuardedByTreeStateETag()
    {
        await using var harness = new AuditHarness();
        var sequencer = await harness.StartSequencerAsync();
        IReadOnlyList<StateOperation>? seen = null;
        harness.Store.BeforeTransact = ops => seen = ops;

        await sequencer.AppendAsync(AuditHarness.Event(0));

        seen.Should().NotBeNull();
        seen!.Should().ContainSingle(o => o.Key == "audit/state").Which.ExpectedETag.Should().Be(ETag.Absent);
    }

    [Fact]
    public async Task AppendAsync_LongestDocumentIdNonAscii_IsIndexedAndQueryable()
    {
        // 255 'đ' escape to 1,530 key characters: too long for a key, so document postings are bucketed by hash.
        await using var harness = new AuditHarness();
        var sequencer = await harness.StartSequencerAsync();
        var documentId = new string('đ', AuditEventRules.MaxDocumentIdLength);
        await sequencer.AppendAsync(AuditHarness.Event(1));

        var appended = await sequencer.AppendAsync(AuditHarness.Event(2, documentId: documentId));
        var page = await harness.Reader.QueryAsync(new AuditQuery { DocumentId = documentId }, 10, null);

        page.Entries.Should().ContainSingle().Which.Index.Should().Be(appended.Index);
    }

    [Fact]
    public async Task GetInclusionProofAsync_SizeOnlyAnotherSequencerCommitted_ReadsStoredSize()
    {
        await using var harness = new AuditHarness();
        var local = await harness.StartSequencerAsync();
        var other = await harness.StartSequencerAsync();
        var reader = new AuditLogReader(harness.Store, harness.Options, local);
        await local.AppendAsync(AuditHarness.Event(0));
        for (var i = 1; i < 300; i++)
        {
            await other.AppendAsync(AuditHarness.Event(i));
        }

        var checkpoint = Checkpoint.Open((await harness.Reader.GetCheckpointAsync())!.Note, harness.PublishedKey);
        var entry = (await reader.GetEntriesAsync(260, 1))[0];
        var proof = await reader.GetInclusionProofAsync(260, checkpoint.Size);

        local.IntegratedSize.Should().Be(1);
        checkpoint.Size.Should().Be(300);
        MerkleVerifier.VerifyInclusion(260, checkpoint.Size, entry.LeafHash, proof.Hashes, checkpoint.RootHash).Should().BeTrue();
    }
}
