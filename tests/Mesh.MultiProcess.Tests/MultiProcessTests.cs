using System.Collections.Concurrent;
using Grpc.Core;
using Mesh.Contracts.Routing.V1;

namespace Mesh.MultiProcess.Tests;

/// <summary>
/// The five services as separate <c>dotnet</c> processes on loopback, TLS between them with the services'
/// HUB_SERVICE client certificate, on a real Redis (state and Redis Streams) under a prefix unique to the run.
/// </summary>
public sealed class MultiProcessTests : IAsyncLifetime
{
    private const string A = "000.00.00.G12";
    private const string B = "000.00.00.H29";

    private MeshCluster cluster = null!;
    private Agency sender = null!;
    private Agency recipient = null!;

    public async Task InitializeAsync()
    {
        cluster = await MeshCluster.StartAsync();
        IReadOnlyList<TestAgency> agencies;
        try
        {
            agencies = await cluster.Layout.EnrolAsync(A, B);
        }
        catch
        {
            // xunit does not call DisposeAsync when InitializeAsync fails: stop the processes and clean Redis here.
            await cluster.DisposeAsync();
            throw;
        }

        sender = new Agency(agencies[0], cluster.Layout.Channel("Routing", agencies[0].ClientCertificate));
        recipient = new Agency(agencies[1], cluster.Layout.Channel("Routing", agencies[1].ClientCertificate));
    }

    public async Task DisposeAsync()
    {
        sender?.Dispose();
        recipient?.Dispose();
        var layout = cluster.Layout;
        await cluster.DisposeAsync();
        (await layout.CountRedisKeysAsync()).Should().Be(0, "the run's Redis keys are deleted");
    }

    [Fact]
    public async Task Exchange_AcrossFiveProcesses_SendDeliverAcknowledgeStatus()
    {
        var send = sender.Prepare(B);

        var receipt = (await sender.SendAsync(send)).Receipt;
        var delivered = await recipient.WatchUntilAsync(items => items.Any(i => i.Document?.DocumentId == receipt.DocumentId));
        var item = delivered.First(i => i.Document.DocumentId == receipt.DocumentId);
        var download = await recipient.DownloadAsync(receipt.DocumentId);
        var ack = await recipient.Routing.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = Guid.NewGuid().ToString("N"), DeliveryId = item.ItemId, Outcome = AckOutcome.Done });
        await recipient.ReportAsync(receipt.DocumentId, Mesh.Contracts.Routing.V1.StatusCode.Accepted);
        var statuses = await sender.WatchUntilAsync(items => items.Any(i => i.Kind == InboxItemKind.Status && i.Status.DocumentId == receipt.DocumentId));
        var trace = await sender.Routing.GetDocumentTraceAsync(new GetDocumentTraceRequest { DocumentId = receipt.DocumentId });

        receipt.Recipients.Should().Equal(B);
        receipt.AuditLeafIndex.Should().BeGreaterThanOrEqualTo(0, "the acceptance was appended to the audit log in its own process");
        download.Package!.DocumentId.Should().Be(receipt.DocumentId);
        download.Bytes.Should().Be(send.Chunks.Sum(c => (long)c.Data.Length), "storage in its own process returned every byte");
        ack.Item.DeliveryState.Should().Be(DeliveryState.Done);
        statuses.Should().Contain(i => i.Kind == InboxItemKind.Status && i.Status.Code == Mesh.Contracts.Routing.V1.StatusCode.Accepted);
        trace.Recipients.Should().ContainSingle(r => r.OrganId == B && r.DeliveryState == DeliveryState.Done && r.LastStatus == Mesh.Contracts.Routing.V1.StatusCode.Accepted);
    }

    [Fact]
    public async Task Routing_KilledMidStreamAndRestarted_EverySendThatReturnedOkIsDeliveredOnce()
    {
        const int total = 24;
        var sends = Enumerable.Range(0, total).Select(_ => sender.Prepare(B)).ToList();
        var accepted = new ConcurrentDictionary<string, string>(StringComparer.Ordinal); // request id → document id
        var failed = new ConcurrentBag<PreparedSend>();
        var enoughAccepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Three adapters' worth of concurrent sends; a send whose connection breaks is an unknown outcome, kept for a retry.
        var stream = Parallel.ForEachAsync(sends, new ParallelOptions { MaxDegreeOfParallelism = 3 }, async (send, _) =>
        {
            try
            {
                var response = await sender.SendAsync(send);
                accepted[send.RequestId] = response.Receipt.DocumentId;
                if (accepted.Count >= 6)
                {
                    enoughAccepted.TrySetResult();
                }
            }
            catch (RpcException)
            {
                failed.Add(send);
                // Hold the rest of this lane until routing is back, so the stream spans the restart.
                await restarted.Task;
            }
        });
        await enoughAccepted.Task.WaitAsync(TimeSpan.FromSeconds(120));
        await cluster.KillAndRestartAsync("Routing");
        restarted.TrySetResult();
        await stream;

        // The adapter retries every unknown outcome with the same request id, and re-asks the accepted ones.
        foreach (var send in failed)
        {
            accepted[send.RequestId] = (await sender.SendAsync(send)).Receipt.DocumentId;
        }

        var resent = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var send in sends)
        {
            resent[send.RequestId] = (await sender.SendAsync(send)).Receipt.DocumentId;
        }

        var documents = accepted.Values.ToHashSet(StringComparer.Ordinal);
        var watched = await recipient.WatchUntilAsync(items => documents.IsSubsetOf(items.Where(i => i.Kind == InboxItemKind.Document).Select(i => i.Document.DocumentId)));
        var listed = (await recipient.InboxAsync()).Where(i => i.Kind == InboxItemKind.Document).ToList();

        accepted.Should().HaveCount(total, "every send was eventually answered OK");
        resent.Should().Equal(accepted, "a request id always names the same document, across the crash");
        documents.Should().HaveCount(total, "each request id made exactly one document");
        listed.Select(i => i.Document.DocumentId).Should().BeEquivalentTo(documents, "every accepted document is delivered, and nothing else");
        listed.Should().OnlyHaveUniqueItems(i => i.Document.DocumentId, "one delivery per document and recipient");
        watched.Where(i => i.Kind == InboxItemKind.Document).GroupBy(i => i.Document.DocumentId)
            .Should().OnlyContain(g => g.Select(i => i.ItemId).Distinct().Count() == 1, "a repeated notification carries the same delivery id, so the adapter can discard it");
        failed.Should().NotBeEmpty("the kill broke sends in flight (otherwise the test did not test the crash); logs:\n" + cluster.Logs);
    }
}
