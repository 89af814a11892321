using Grpc.Core;
using Mesh.Contracts.Routing.V1;
using Mesh.Testing;

namespace Mesh.Client.Tests;

[Collection(HubCollection.Name)]
public sealed class WatchTests(HubFixture hub)
{
    [Fact]
    public async Task WatchInboxAsync_HubUnreachableTwice_ResumesFromItsCursorAndYieldsEveryItemOnce()
    {
        var sender = await hub.AgencyAsync(HubFixture.Ministry);
        var recipient = await hub.AgencyAsync(HubFixture.OtherProvince);
        using var outbox = hub.Connect(sender);
        await using var proxy = hub.Proxy();
        using var watcher = hub.Connect(recipient, via: proxy);
        var start = (await watcher.ListInboxAsync(new ListInboxRequest { PageSize = 1000 })).Items.LastOrDefault()?.Cursor;
        var seen = new List<InboxItem>();
        var arrived = new ChangeSignal();
        using var stop = new CancellationTokenSource();
        var watching = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in watcher.WatchInboxAsync(start, stop.Token))
                {
                    lock (seen)
                    {
                        seen.Add(item);
                    }

                    arrived.Pulse();
                }
            }
            catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled })
            {
            }
        });
        var sent = new List<string>();

        // Live: the first document arrives over the first connection.
        sent.Add(await SendAsync(outbox, sender, recipient));
        await UntilSeenAsync(seen, arrived, sent);

        // Outage 1: connections reset and new ones refused while two documents are sent.
        proxy.Refusing = true;
        var refusedBefore = proxy.Refused;
        proxy.DropAll();
        await Eventually.UntilAsync(proxy.Changed, () => proxy.Refused > refusedBefore, "the watch tried to reconnect and was refused");
        sent.Add(await SendAsync(outbox, sender, recipient));
        sent.Add(await SendAsync(outbox, sender, recipient));
        proxy.Refusing = false;
        await UntilSeenAsync(seen, arrived, sent);

        // Outage 2: connections reset once more; a document is sent while the watch reconnects.
        var connectionsBefore = proxy.Connections;
        proxy.DropAll();
        sent.Add(await SendAsync(outbox, sender, recipient));
        await UntilSeenAsync(seen, arrived, sent);
        await stop.CancelAsync();
        await watching;

        proxy.Connections.Should().BeGreaterThan(connectionsBefore, "the watch reconnected after the second reset");
        List<string> documents;
        lock (seen)
        {
            // Documents other tests sent to this agency before the watch started are not this test's concern.
            documents = [.. seen.Where(i => i.Kind == InboxItemKind.Document && sent.Contains(i.Document.DocumentId)).Select(i => i.Document.DocumentId)];
        }

        documents.Should().Equal(sent, "each document arrives exactly once, in order, across both reconnects");
    }

    private static async Task<string> SendAsync(MeshClient outbox, Agency sender, Agency recipient) =>
        (await outbox.SendAsync(HubFixture.Header(sender.OrganId, recipient.OrganId), HubFixture.Package(sender, size: 1_000))).Receipt.DocumentId;

    private static Task UntilSeenAsync(List<InboxItem> seen, ChangeSignal arrived, List<string> documents) =>
        Eventually.UntilAsync(arrived, () =>
        {
            lock (seen)
            {
                return documents.All(d => seen.Any(i => i.Document?.DocumentId == d));
            }
        }, $"the watch yielded {documents.Count} documents");
}
