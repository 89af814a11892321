using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Mesh.Client;
using Mesh.Contracts.Routing.V1;
using Spectre.Console;

namespace Mesh.Cli.Commands;

/// <summary>An agency's exchange commands: send, inbox, watch, fetch, ack, status, trace.</summary>
internal static class DocumentCommands
{
    public static IEnumerable<Command> Build(Runner run) => [Send(run), Inbox(run), Watch(run), Fetch(run), Ack(run), Status(run), Trace(run)];

    private static Command Send(Runner run)
    {
        var command = new Command("send", "Sign and send a document; the first file is the main document (a signed PDF)");
        var files = new Argument<string[]>("files") { Arity = ArgumentArity.OneOrMore, Description = "Main document, then attachments" };
        var from = new Option<string>("--from") { Description = "Sender OrganId (yours)", Required = true };
        var to = new Option<string[]>("--to") { Description = "Recipient OrganId (repeatable)", Required = true, AllowMultipleArgumentsPerToken = true };
        var number = new Option<string?>("--number") { Description = "Số: 1 to 11 digits (default: derived from the clock)" };
        var notation = new Option<string>("--notation") { Description = "Ký hiệu, e.g. BTC-VP", DefaultValueFactory = _ => "VP" };
        var subject = new Option<string>("--subject") { Description = "Trích yếu", Required = true };
        var typeName = new Option<string>("--type-name") { Description = "Document type name", DefaultValueFactory = _ => "Công văn" };
        var priority = new Option<string>("--priority") { Description = "normal, urgent, very-urgent or flash", DefaultValueFactory = _ => "normal" };
        priority.AcceptOnlyFromAmong("normal", "urgent", "very-urgent", "flash");
        var place = new Option<string>("--place") { Description = "Place of promulgation", DefaultValueFactory = _ => "Hà Nội" };
        var signer = new Option<string?>("--signer") { Description = "Signer's full name (default: the signing certificate's CN)" };
        var position = new Option<string>("--position") { Description = "Signer's position", DefaultValueFactory = _ => "" };
        var content = new Option<string>("--content") { Description = "Summary of the content", DefaultValueFactory = _ => "" };
        var due = new Option<string?>("--due") { Description = "Due date yyyy-MM-dd" };
        var requestId = new Option<string?>("--request-id") { Description = "Idempotency key (a retry with the same key returns the same receipt)" };
        var receiptOut = new Option<string?>("--receipt-out") { Description = "Write the receipt bytes here and its signature to <file>.p7s" };
        command.Arguments.Add(files);
        foreach (var option in new Option[] { from, to, number, notation, subject, typeName, priority, place, signer, position, content, due, requestId, receiptOut })
        {
            command.Options.Add(option);
        }

        run.Action(command, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var signerName = parse.GetValue(signer);
            if (signerName is null)
            {
                using var signing = CertificateFiles.Load(ctx.SigningCertPath ?? throw new CliException("No signing certificate: pass --signing-cert or set MESH_SIGNING_CERT."));
                signerName = signing.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false);
            }

            var header = Exchange.BuildHeader(new Exchange.HeaderInput(
                parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(number) ?? Exchange.FreshNumber(TimeProvider.System), parse.GetValue(notation)!,
                parse.GetValue(subject)!, parse.GetValue(typeName)!, ParsePriority(parse.GetValue(priority)!), parse.GetValue(place)!, signerName,
                parse.GetValue(position)!, parse.GetValue(content)!, DateOnly.FromDateTime(DateTime.Now),
                parse.GetValue(due) is { } d ? DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null, ""));
            var paths = parse.GetValue(files)!;
            var attachments = paths.Select((p, i) => OutgoingAttachment.FromFile(p, i == 0 ? AttachmentRole.MainDocument : AttachmentRole.Attachment, Exchange.MediaTypeOf(p))).ToList();
            var response = await SendAsync(ctx, client, header, attachments, parse.GetValue(requestId), ct);
            if (parse.GetValue(receiptOut) is { } path)
            {
                await File.WriteAllBytesAsync(path, response.ReceiptBytes.ToByteArray(), ct);
                await File.WriteAllBytesAsync(path + ".p7s", response.ReceiptSignature.ToByteArray(), ct);
            }

            return 0;
        });
        return command;
    }

    /// <summary>Sends with a progress bar, verifies the receipt's signature, prints it.</summary>
    public static async Task<SendDocumentResponse> SendAsync(CliContext ctx, MeshClient client, DocumentHeader header, IReadOnlyList<OutgoingAttachment> attachments, string? requestId, CancellationToken ct)
    {
        var response = await ctx.WithProgressAsync("upload", progress => client.SendAsync(header, attachments, requestId, progress, ct));
        var (receipt, hubSubject) = await Exchange.VerifyReceiptAsync(client, response.ReceiptBytes, response.ReceiptSignature, ct);
        if (ctx.IsJson)
        {
            ctx.WriteJson(new JsonObject
            {
                ["receipt"] = CliContext.ToJson(receipt),
                ["receiptSignatureVerified"] = true,
                ["hubCertificate"] = hubSubject,
            });
        }
        else
        {
            WriteReceipt(ctx, receipt, hubSubject);
        }

        return response;
    }

    public static void WriteReceipt(CliContext ctx, Receipt receipt, string hubSubject)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Document", receipt.DocumentId);
        grid.AddRow("Business id", Markup.Escape(receipt.BusinessDocumentId));
        grid.AddRow("Sender", receipt.Sender);
        grid.AddRow("Recipients", string.Join(", ", receipt.Recipients));
        grid.AddRow("Accepted at", Exchange.Time(receipt.AcceptTime) + (receipt.Late ? " (late)" : ""));
        grid.AddRow("Manifest SHA-256", CliContext.Hex(receipt.ManifestSha256));
        foreach (var a in receipt.Attachments)
        {
            grid.AddRow(Markup.Escape(a.Name), $"{a.Size} bytes, SHA-256 {CliContext.Hex(a.Sha256)}");
        }

        grid.AddRow("Audit leaf", receipt.AuditLeafIndex.ToString(CultureInfo.InvariantCulture));
        grid.AddRow("Signature", $"[green]verified[/], signed by {Markup.Escape(hubSubject)}");
        ctx.Console.Write(new Panel(grid).Header("Signed receipt"));
    }

    private static Command Inbox(Runner run)
    {
        var command = new Command("inbox", "List your inbox: documents delivered to you and statuses on documents you sent");
        var state = new Option<string?>("--state") { Description = "pending, downloaded, processing, done or failed" };
        state.AcceptOnlyFromAmong("pending", "downloaded", "processing", "done", "failed");
        var kind = new Option<string?>("--kind") { Description = "document or status" };
        kind.AcceptOnlyFromAmong("document", "status");
        var pageSize = new Option<int>("--page-size") { DefaultValueFactory = _ => 100 };
        command.Options.Add(state);
        command.Options.Add(kind);
        command.Options.Add(pageSize);
        run.Action(command, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var request = new ListInboxRequest
            {
                PageSize = parse.GetValue(pageSize),
                State = parse.GetValue(state) is { } s ? Enum.Parse<DeliveryState>(s, ignoreCase: true) : DeliveryState.Unspecified,
                Kind = parse.GetValue(kind) is { } k ? Enum.Parse<InboxItemKind>(k, ignoreCase: true) : InboxItemKind.Unspecified,
            };
            var response = await client.ListInboxAsync(request, ct);
            WriteInbox(ctx, response.Items);
            return 0;
        });
        return command;
    }

    public static void WriteInbox(CliContext ctx, IEnumerable<InboxItem> items)
    {
        if (ctx.IsJson)
        {
            ctx.WriteJson(new JsonObject { ["items"] = new JsonArray(items.Select(i => (JsonNode?)CliContext.ToJson(i)).ToArray()) });
            return;
        }

        var table = new Table().AddColumns("Kind", "Item", "Document", "From", "Subject / status", "State", "Time");
        foreach (var i in items)
        {
            table.AddRow(Row(i).Select(Markup.Escape).ToArray());
        }

        ctx.Console.Write(table);
    }

    private static string[] Row(InboxItem i) => i.Kind == InboxItemKind.Status
        ? ["status", i.ItemId, i.Status?.DocumentId ?? "", i.Status?.Reporter ?? "", Exchange.Code(i.Status?.Code ?? StatusCode.Unspecified) + " " + i.Status?.Description, "", Exchange.Time(i.CreateTime)]
        : ["document", i.ItemId, i.Document?.DocumentId ?? "", i.Document?.Sender ?? "", $"{i.Document?.Code} {i.Document?.Subject}", i.DeliveryState.ToString() + Flags(i.Flags), Exchange.Time(i.CreateTime)];

    private static string Flags(DeadlineFlags? flags) => flags is null ? "" : (flags.Late ? " late" : "") + (flags.Overdue ? " overdue" : "");

    private static Command Watch(Runner run)
    {
        var command = new Command("watch", "Stream inbox items as they arrive, until Ctrl+C (one JSON object per line with --json)");
        var cursor = new Option<string?>("--cursor") { Description = "Resume after this cursor (default: from the start)" };
        var count = new Option<int?>("--count") { Description = "Stop after this many items" };
        command.Options.Add(cursor);
        command.Options.Add(count);
        run.Action(command, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var limit = parse.GetValue(count);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                await foreach (var item in client.WatchInboxAsync(parse.GetValue(cursor), ct))
                {
                    // The SDK may repeat an item after a reconnect; show each once.
                    if (!seen.Add(item.ItemId + "/" + item.Etag))
                    {
                        continue;
                    }

                    if (ctx.IsJson)
                    {
                        await ctx.Output.WriteLineAsync(CliContext.ToJson(item).ToJsonString());
                        await ctx.Output.FlushAsync(ct);
                    }
                    else
                    {
                        ctx.Console.MarkupLine(string.Join("  ", Row(item).Select(Markup.Escape)) + $"  [grey]cursor {Markup.Escape(item.Cursor)}[/]");
                    }

                    if (limit is { } l && seen.Count >= l)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C: the normal way to stop watching.
            }

            return 0;
        });
        return command;
    }

    private static Command Fetch(Runner run)
    {
        var command = new Command("fetch", "Download a document's attachments, checking each against the signed manifest");
        var documentId = new Argument<string>("document-id");
        var outDir = new Option<string>("--out") { Description = "Folder to write to", DefaultValueFactory = _ => "." };
        command.Arguments.Add(documentId);
        command.Options.Add(outDir);
        run.Action(command, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            await FetchAsync(ctx, client, parse.GetValue(documentId)!, Path.Combine(parse.GetValue(outDir)!, parse.GetValue(documentId)!), ct);
            return 0;
        });
        return command;
    }

    /// <summary>Downloads with a progress bar; checks the sender's manifest signature and the hub's receipt; prints the verified digests.</summary>
    public static async Task<DownloadedDocument> FetchAsync(CliContext ctx, MeshClient client, string documentId, string directory, CancellationToken ct)
    {
        var document = await ctx.WithProgressAsync("download", progress => client.DownloadAsync(documentId, directory, progress, ct));
        using var sender = CmsSigning.VerifyDetached(document.Package.Manifest.Span, document.Package.ManifestSignature.Span);
        var (receipt, hubSubject) = await Exchange.VerifyReceiptAsync(client, document.Package.ReceiptBytes, document.Package.ReceiptSignature, ct);
        if (!receipt.ManifestSha256.Span.SequenceEqual(System.Security.Cryptography.SHA256.HashData(document.Package.Manifest.Span)))
        {
            throw new InvalidDataException("The hub's receipt is for another manifest.");
        }

        if (ctx.IsJson)
        {
            var files = new JsonArray();
            for (var i = 0; i < document.Files.Count; i++)
            {
                var a = document.Manifest.Attachments[i];
                files.Add(new JsonObject { ["name"] = a.Name, ["path"] = document.Files[i], ["size"] = a.Size, ["sha256"] = CliContext.Hex(a.Sha256), ["verified"] = true });
            }

            ctx.WriteJson(new JsonObject
            {
                ["documentId"] = documentId,
                ["files"] = files,
                ["manifestSigner"] = sender.Subject,
                ["receipt"] = CliContext.ToJson(receipt),
                ["receiptSignedBy"] = hubSubject,
            });
            return document;
        }

        var table = new Table().Title("Downloaded and verified").AddColumns("File", "Bytes", "SHA-256", "Check");
        for (var i = 0; i < document.Files.Count; i++)
        {
            var a = document.Manifest.Attachments[i];
            table.AddRow(Markup.Escape(document.Files[i]), a.Size.ToString(CultureInfo.InvariantCulture), CliContext.Hex(a.Sha256), "[green]matches signed manifest[/]");
        }

        ctx.Console.Write(table);
        ctx.Console.MarkupLine($"Manifest signed by [bold]{Markup.Escape(sender.Subject)}[/]; receipt signed by the hub ([green]verified[/]).");
        return document;
    }

    private static Command Ack(Runner run)
    {
        var command = new Command("ack", "Acknowledge a delivery (the inbox item id)");
        var deliveryId = new Argument<string>("delivery-id");
        var outcome = new Option<string>("--outcome") { Description = "done, failed or processing", DefaultValueFactory = _ => "done" };
        outcome.AcceptOnlyFromAmong("done", "failed", "processing");
        var description = new Option<string>("--description") { DefaultValueFactory = _ => "" };
        command.Arguments.Add(deliveryId);
        command.Options.Add(outcome);
        command.Options.Add(description);
        run.Action(command, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var response = await client.AcknowledgeAsync(parse.GetValue(deliveryId)!, Enum.Parse<AckOutcome>(parse.GetValue(outcome)!, ignoreCase: true), parse.GetValue(description)!, cancellationToken: ct);
            WriteInbox(ctx, [response.Item]);
            return 0;
        });
        return command;
    }

    private static Command Status(Runner run)
    {
        var command = new Command("status", "Sign and report a business status on a document you received (03 accepted, 06 finished, …)");
        var documentId = new Argument<string>("document-id");
        var code = new Option<string>("--code") { Description = "01, 02, 03, 04, 05, 06, 13, 15, 16 or a name (accepted, finished, …)", Required = true };
        var from = new Option<string>("--from") { Description = "Your OrganId", Required = true };
        var description = new Option<string>("--description") { DefaultValueFactory = _ => "" };
        var staff = new Option<string?>("--staff") { Description = "Staff handling it" };
        command.Arguments.Add(documentId);
        command.Options.Add(code);
        command.Options.Add(from);
        command.Options.Add(description);
        command.Options.Add(staff);
        run.Action(command, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var response = await ReportAsync(client, parse.GetValue(documentId)!, parse.GetValue(from)!, Exchange.ParseStatus(parse.GetValue(code)!), parse.GetValue(description)!, parse.GetValue(staff), ct);
            WriteStatus(ctx, response);
            return 0;
        });
        return command;
    }

    public static Task<ReportStatusResponse> ReportAsync(MeshClient client, string documentId, string from, StatusCode code, string description, string? staff, CancellationToken ct)
    {
        var report = new StatusReport
        {
            DocumentId = documentId, FromOrganId = from, Code = code, Description = description,
            Timestamp = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };
        if (staff is not null)
        {
            report.StaffInfo = new StaffInfo { Staff = staff };
        }

        return client.ReportStatusAsync(report, cancellationToken: ct);
    }

    public static void WriteStatus(CliContext ctx, ReportStatusResponse response)
    {
        if (ctx.IsJson)
        {
            ctx.WriteJson(CliContext.ToJson(response));
            return;
        }

        ctx.Console.MarkupLine($"Status [bold]{Markup.Escape(Exchange.Code(response.Status.Code))}[/] on {response.Status.DocumentId} recorded (audit leaf {response.AuditLeafIndex}).");
    }

    private static Command Trace(Runner run)
    {
        var command = new Command("trace", "A document's timeline per recipient (sender or recipients)");
        var documentId = new Argument<string>("document-id");
        command.Arguments.Add(documentId);
        run.Action(command, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            WriteTrace(ctx, await client.TraceAsync(parse.GetValue(documentId)!, ct));
            return 0;
        });
        return command;
    }

    public static void WriteTrace(CliContext ctx, GetDocumentTraceResponse trace)
    {
        if (ctx.IsJson)
        {
            ctx.WriteJson(CliContext.ToJson(trace));
            return;
        }

        ctx.Console.MarkupLine($"[bold]{Markup.Escape(trace.Document.DocumentId)}[/] {Markup.Escape(trace.Document.Code)} from {trace.Document.Sender}: {Markup.Escape(trace.Document.Subject)}{Markup.Escape(Flags(trace.Flags))}");
        var table = new Table().AddColumns("Recipient", "Time", "Event", "Actor", "Detail");
        foreach (var r in trace.Recipients)
        {
            table.AddRow(new Markup($"[bold]{r.OrganId}[/]"), new Text(""), new Markup($"[bold]delivery {r.DeliveryState}[/]"), new Text(""), new Text((r.LastStatus == StatusCode.Unspecified ? "" : "last status " + Exchange.Code(r.LastStatus)) + Flags(r.Flags)));
            foreach (var e in r.Events)
            {
                table.AddRow("", Markup.Escape(Exchange.Time(e.Time)), Markup.Escape(e.Kind), Markup.Escape(e.Actor), Markup.Escape(e.Detail));
            }
        }

        ctx.Console.Write(table);
    }

    private static Priority ParsePriority(string text) => text switch
    {
        "urgent" => Priority.Urgent,
        "very-urgent" => Priority.VeryUrgent,
        "flash" => Priority.Flash,
        _ => Priority.Normal,
    };
}
