using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mesh.Client;
using Mesh.Contracts.Registry.V1;
using Mesh.Contracts.Routing.V1;
using Spectre.Console;
using StatusCode = Mesh.Contracts.Routing.V1.StatusCode;

namespace Mesh.Cli.Commands;

/// <summary>
/// `mesh demo`: one whole exchange between two agencies against a running hub, narrated step by
/// step, with the same code paths as the individual commands.
/// </summary>
internal static class DemoCommand
{
    private const string SenderId = "000.00.00.G12";
    private const string SenderName = "Bộ Tài chính";
    private const string RecipientId = "000.00.00.H49";
    private const string RecipientName = "UBND tỉnh Quảng Ninh";

    public static Command Build(Runner run)
    {
        var command = new Command("demo", "Run a whole exchange between two agencies against a running hub (needs the hub's data folder on this machine)");
        var data = new Option<string>("--data") { Description = "The hub's data folder (admin.pfx, pki/ca.pem, pki/ca.pfx)", DefaultValueFactory = _ => Path.Combine("services", "Mesh.Hub", ".mesh-data") };
        var admin = new Option<string?>("--admin") { Description = "Bootstrap administrator identity (default: <data>/admin.pfx)" };
        var work = new Option<string?>("--out") { Description = "Where certificates and downloads go (default: a new temp folder)" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the hub at each step", DefaultValueFactory = _ => 60 };
        command.Options.Add(data);
        command.Options.Add(admin);
        command.Options.Add(work);
        command.Options.Add(timeout);
        run.Action(command, async (ctx, parse, ct) =>
        {
            var dataDir = parse.GetValue(data)!;
            var workDir = parse.GetValue(work) ?? Path.Combine(Path.GetTempPath(), "mesh-demo-" + Guid.NewGuid().ToString("N")[..8]);
            ctx.CaPath ??= Path.Combine(dataDir, "pki", "ca.pem");
            var adminPath = parse.GetValue(admin) ?? Path.Combine(dataDir, "admin.pfx");
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout) * 10));
            var summary = await RunAsync(ctx, adminPath, Path.Combine(dataDir, "pki", "ca.pfx"), workDir, TimeSpan.FromSeconds(parse.GetValue(timeout)), limit.Token);
            if (ctx.IsJson)
            {
                ctx.WriteJson(summary);
            }

            return 0;
        });
        return command;
    }

    public static async Task<JsonObject> RunAsync(CliContext ctx, string adminPath, string caPfxPath, string workDir, TimeSpan stepTimeout, CancellationToken ct)
    {
        // Narration goes to the terminal; with --json only the summary is printed.
        var say = ctx.As(null, null, ctx.IsJson ? TextWriter.Null : ctx.Output);
        var console = say.Console;
        console.Write(new Rule("[bold]Mesh demo[/]: Bộ Tài chính sends a signed document to UBND tỉnh Quảng Ninh").LeftJustified());
        console.MarkupLine($"Hub [bold]{Markup.Escape(ctx.Hub)}[/], administrator {Markup.Escape(adminPath)}, working folder {Markup.Escape(workDir)}");

        Step(console, 1, "Register the two agencies (administrator)");
        var adminCtx = ctx.As(adminPath, null);
        using (var adminClient = adminCtx.Connect())
        {
            foreach (var (id, name) in new[] { (SenderId, SenderName), (RecipientId, RecipientName) })
            {
                var agency = await EnsureAgencyAsync(adminClient.Registry, id, name, ct);
                console.MarkupLine($"  {id} [bold]{Markup.Escape(agency.DisplayName)}[/] {agency.State}");
            }

            Step(console, 2, "Issue and bind their client-TLS and document-signing certificates (hub development CA)");
            if (!File.Exists(caPfxPath))
            {
                throw new CliException($"{caPfxPath} not found: the demo issues certificates from the hub's development CA, so it runs on the hub's machine (--data).");
            }

            using var ca = CertificateFiles.Load(caPfxPath);
            foreach (var (id, name) in new[] { (SenderId, SenderName), (RecipientId, RecipientName) })
            {
                var files = PkiCommands.IssueAgency(ca, id, name, Path.Combine(workDir, "certs"), TimeSpan.FromDays(30));
                foreach (var file in files)
                {
                    using var certificate = CertificateFiles.LoadCertificate(file.Pem);
                    await AgencyCommands.BindAsync(adminClient.Registry, id, certificate.RawData, file.Kind == "client", ct);
                    console.MarkupLine($"  {id} {file.Kind,-8} {file.Thumbprint}  {Markup.Escape(file.Pfx)}");
                }
            }
        }

        string Cert(string id, string kind) => Path.Combine(workDir, "certs", $"{id}-{kind}.pfx");
        var senderCtx = say.As(Cert(SenderId, "client"), Cert(SenderId, "signing"));
        var recipientCtx = say.As(Cert(RecipientId, "client"), Cert(RecipientId, "signing"));
        using var sender = senderCtx.Connect();
        using var recipient = recipientCtx.Connect();

        Step(console, 3, "Bộ Tài chính signs and sends Công văn (a signed PDF and an appendix)");
        using var signing = CertificateFiles.Load(Cert(SenderId, "signing"));
        var number = Exchange.FreshNumber(TimeProvider.System);
        var pdf = SignedPdf.Create(signing, $"Cong van so {number}/BTC-VP: huong dan thu nghiem truc lien thong van ban");
        var appendix = Encoding.UTF8.GetBytes("Phụ lục: danh sách đơn vị tham gia thử nghiệm\n");
        var header = Exchange.BuildHeader(new Exchange.HeaderInput(
            SenderId, [RecipientId], number, "BTC-VP", "V/v thử nghiệm trục liên thông văn bản quốc gia", "Công văn",
            Priority.Normal, "Hà Nội", "Nguyễn Văn A", "Thứ trưởng", "Hướng dẫn thử nghiệm gửi nhận văn bản điện tử",
            DateOnly.FromDateTime(DateTime.Now), null, SenderName));
        var sent = await DocumentCommands.SendAsync(senderCtx, sender, header,
            [OutgoingAttachment.FromBytes("cong-van.pdf", pdf, AttachmentRole.MainDocument, "application/pdf"), OutgoingAttachment.FromBytes("phu-luc.txt", appendix, AttachmentRole.Attachment, "text/plain")],
            null, ct);
        var documentId = sent.Receipt.DocumentId;

        Step(console, 4, "UBND tỉnh Quảng Ninh sees it in its inbox");
        var item = await FirstAsync(recipient, i => i.Kind == InboxItemKind.Document && i.Document?.DocumentId == documentId, stepTimeout, ct);
        DocumentCommands.WriteInbox(recipientCtx, [item]);

        Step(console, 5, "…downloads it, checking every file against the signed manifest");
        var downloaded = await DocumentCommands.FetchAsync(recipientCtx, recipient, documentId, Path.Combine(workDir, "inbox", documentId), ct);

        Step(console, 6, "…acknowledges the delivery");
        var acked = await recipient.AcknowledgeAsync(item.ItemId, AckOutcome.Done, "Đã nhận", cancellationToken: ct);
        console.MarkupLine($"  delivery {acked.Item.ItemId}: [bold]{acked.Item.DeliveryState}[/]");

        Step(console, 7, "…and reports status 03 (accepted) then 06 (finished), each signed");
        var statuses = new List<ReportStatusResponse>();
        foreach (var (code, text) in new[] { (StatusCode.Accepted, "Đã tiếp nhận, giao Văn phòng UBND xử lý"), (StatusCode.Finished, "Đã hoàn thành xử lý") })
        {
            var status = await DocumentCommands.ReportAsync(recipient, documentId, RecipientId, code, text, "Văn thư", ct);
            DocumentCommands.WriteStatus(recipientCtx, status);
            statuses.Add(status);
        }

        Step(console, 8, "Bộ Tài chính receives the statuses in its inbox");
        var seen = new List<InboxItem>();
        using var statusDeadline = Deadline(stepTimeout, ct);
        await foreach (var s in sender.WatchInboxAsync(null, statusDeadline.Token))
        {
            if (s.Kind == InboxItemKind.Status && s.Status?.DocumentId == documentId && seen.All(x => x.ItemId != s.ItemId))
            {
                seen.Add(s);
                if (seen.Count == statuses.Count)
                {
                    break;
                }
            }
        }

        DocumentCommands.WriteInbox(senderCtx, seen);

        Step(console, 9, "…and follows the document's trace");
        var trace = await sender.TraceAsync(documentId, ct);
        DocumentCommands.WriteTrace(senderCtx, trace);

        Step(console, 10, "The receipt's audit leaf is proven in the hub's signed transparency log");
        var (receipt, hubSubject) = await Exchange.VerifyReceiptAsync(sender, sent.ReceiptBytes, sent.ReceiptSignature, ct);
        DocumentCommands.WriteReceipt(senderCtx, receipt, hubSubject);
        var proof = await AuditCommands.ProveAsync(sender, receipt.AuditLeafIndex, null, ct);
        AuditCommands.WriteVerified(senderCtx, proof, pinned: false);

        console.Write(new Rule("[green]Exchange complete[/]").LeftJustified());
        return new JsonObject
        {
            ["documentId"] = documentId,
            ["businessDocumentId"] = receipt.BusinessDocumentId,
            ["sender"] = SenderId,
            ["recipient"] = RecipientId,
            ["receipt"] = CliContext.ToJson(receipt),
            ["receiptSignatureVerified"] = true,
            ["downloaded"] = new JsonArray(downloaded.Files.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
            ["deliveryState"] = acked.Item.DeliveryState.ToString(),
            ["statusesSeenBySender"] = new JsonArray(seen.Select(s => (JsonNode?)JsonValue.Create((int)s.Status.Code)).ToArray()),
            ["trace"] = CliContext.ToJson(trace),
            ["audit"] = new JsonObject
            {
                ["verified"] = true, ["leafIndex"] = proof.LeafIndex, ["treeSize"] = proof.Checkpoint.TreeSize,
                ["rootHash"] = Convert.ToHexStringLower(proof.Checkpoint.RootHash), ["origin"] = proof.Checkpoint.Origin,
            },
        };
    }

    private static async Task<Agency> EnsureAgencyAsync(RegistryService.RegistryServiceClient registry, string organId, string name, CancellationToken ct)
    {
        try
        {
            return (await registry.GetAgencyAsync(new GetAgencyRequest { OrganId = organId }, cancellationToken: ct)).Agency;
        }
        catch (RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.NotFound)
        {
            var created = await registry.CreateAgencyAsync(new CreateAgencyRequest
            {
                RequestId = "demo-" + organId,
                Agency = new Agency { OrganId = organId, DisplayName = name },
            }, cancellationToken: ct);
            return created.Agency;
        }
    }

    /// <summary>Waits (on the inbox stream, not on a timer) for the first item that matches.</summary>
    private static async Task<InboxItem> FirstAsync(MeshClient client, Func<InboxItem, bool> match, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = Deadline(timeout, ct);
        try
        {
            await foreach (var item in client.WatchInboxAsync(null, deadline.Token))
            {
                if (match(item))
                {
                    return item;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
        catch (RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.Cancelled && !ct.IsCancellationRequested)
        {
        }

        throw new CliException($"Nothing arrived within {timeout.TotalSeconds:0} s.");
    }

    private static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken ct)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(ct);
        source.CancelAfter(timeout);
        return source;
    }

    private static void Step(IAnsiConsole console, int number, string title) =>
        console.Write(new Rule($"[yellow]{number}.[/] {Markup.Escape(title)}").LeftJustified());
}
