using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Client;
using Mesh.Contracts.Audit.V1;
using Spectre.Console;

namespace Mesh.Cli.Commands;

/// <summary>`mesh audit`: proofs from the transparency log, and exchange statistics.</summary>
internal static class AuditCommands
{
    public static Command Build(Runner run)
    {
        var audit = new Command("audit", "The hub's audit log: verify a receipt's inclusion proof, statistics");

        var verify = new Command("verify", "Fetch the signed checkpoint and an inclusion proof for a leaf and verify both offline");
        var leaf = new Option<long?>("--leaf") { Description = "Leaf index (the receipt's audit_leaf_index)" };
        var receiptFile = new Option<string?>("--receipt") { Description = "A receipt written by `send --receipt-out` (its signature in <file>.p7s is checked first)" };
        var logKey = new Option<string?>("--log-key") { Description = "Pin the log's verifier key (name+id+key); default: the key the hub announces (env MESH_LOG_KEY)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MESH_LOG_KEY") };
        verify.Options.Add(leaf);
        verify.Options.Add(receiptFile);
        verify.Options.Add(logKey);
        run.Action(verify, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var index = parse.GetValue(leaf);
            if (parse.GetValue(receiptFile) is { } path)
            {
                var bytes = ByteString.CopyFrom(await File.ReadAllBytesAsync(path, ct));
                var signature = ByteString.CopyFrom(await File.ReadAllBytesAsync(path + ".p7s", ct));
                var (receipt, _) = await Exchange.VerifyReceiptAsync(client, bytes, signature, ct);
                index ??= receipt.AuditLeafIndex;
            }

            if (index is null)
            {
                throw new CliException("Pass --leaf or --receipt.");
            }

            var pinned = parse.GetValue(logKey);
            var result = await ProveAsync(client, index.Value, pinned, ct);
            WriteVerified(ctx, result, pinned is not null);
            return 0;
        });

        var stats = new Command("stats", "Documents sent, received, refused, late and overdue per agency and period");
        var organId = new Option<string?>("--organ-id") { Description = "One agency (default: all, admin only)" };
        var period = new Option<string>("--period") { Description = "day or month", DefaultValueFactory = _ => "day" };
        period.AcceptOnlyFromAmong("day", "month");
        var days = new Option<int>("--days") { Description = "How many days back, today included", DefaultValueFactory = _ => 30 };
        stats.Options.Add(organId);
        stats.Options.Add(period);
        stats.Options.Add(days);
        run.Action(stats, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var now = DateTimeOffset.UtcNow;
            var response = await client.Audit.GetStatisticsAsync(new GetStatisticsRequest
            {
                OrganId = parse.GetValue(organId) ?? "",
                Period = parse.GetValue(period) == "month" ? Period.Month : Period.Day,
                StartTime = Timestamp.FromDateTimeOffset(now.AddDays(1 - parse.GetValue(days))),
                EndTime = Timestamp.FromDateTimeOffset(now.AddDays(1)),
            }, cancellationToken: ct);
            if (ctx.IsJson)
            {
                ctx.WriteJson(CliContext.ToJson(response));
                return 0;
            }

            var table = new Table().AddColumns("Agency", "Period", "Sent", "Received", "Refused", "Late", "Overdue");
            foreach (var r in response.Rows.Append(response.Total))
            {
                table.AddRow(Markup.Escape(r == response.Total ? "total" : r.OrganId), Markup.Escape(r.Period), N(r.Sent), N(r.Received), N(r.Refused), N(r.Late), N(r.Overdue));
            }

            ctx.Console.Write(table);
            ctx.Console.MarkupLine($"Agencies connected: {response.AgenciesConnected} of {response.AgenciesRegistered} active in the registry");
            return 0;
        });

        audit.Subcommands.Add(verify);
        audit.Subcommands.Add(stats);
        return audit;
    }

    /// <summary>Proves a leaf with the SDK; a receipt without a leaf (-1) gets a sentence, not a stack trace.</summary>
    public static Task<VerifiedAuditLeaf> ProveAsync(MeshClient client, long leafIndex, string? verifierKey, CancellationToken ct) =>
        leafIndex < 0
            ? throw new CliException($"Leaf {leafIndex} is not in any log: this hub did not record the event in its audit log.")
            : client.VerifyAuditLeafAsync(leafIndex, verifierKey, ct);

    public static void WriteVerified(CliContext ctx, VerifiedAuditLeaf result, bool pinned)
    {
        var checkpoint = result.Checkpoint;
        if (ctx.IsJson)
        {
            ctx.WriteJson(new JsonObject
            {
                ["verified"] = true,
                ["leafIndex"] = result.LeafIndex,
                ["leafHash"] = Convert.ToHexStringLower(result.LeafHash),
                ["treeSize"] = checkpoint.TreeSize,
                ["rootHash"] = Convert.ToHexStringLower(checkpoint.RootHash),
                ["origin"] = checkpoint.Origin,
                ["logKey"] = checkpoint.KeyName,
                ["logKeyPinned"] = pinned,
                ["proofHashes"] = result.ProofLength,
                ["event"] = result.Event is null ? null : CliContext.ToJson(result.Event),
                ["checkpoint"] = checkpoint.SignedNote,
            });
            return;
        }

        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Leaf", $"{result.LeafIndex}  {Convert.ToHexStringLower(result.LeafHash)}");
        if (result.Event is { } e)
        {
            grid.AddRow("Event", Markup.Escape($"{e.Type} by {e.ActorOrganId} on {e.DocumentId} ({e.Outcome})"));
        }

        grid.AddRow("Checkpoint", Markup.Escape($"{checkpoint.Origin}, size {checkpoint.TreeSize}, root {Convert.ToHexStringLower(checkpoint.RootHash)}"));
        grid.AddRow("Signature", $"[green]verified[/] (Ed25519, key {Markup.Escape(checkpoint.KeyName)}{(pinned ? ", pinned" : ", as announced by the hub: pin it with --log-key")})");
        grid.AddRow("Inclusion", $"[green]verified[/] ({result.ProofLength} hashes, RFC 9162)");
        ctx.Console.Write(new Panel(grid).Header("Audit proof"));
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
