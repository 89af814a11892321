using System.CommandLine;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Mesh.Contracts.Common.V1;
using Mesh.Contracts.Registry.V1;
using Spectre.Console;

namespace Mesh.Cli.Commands;

/// <summary>`mesh agency`: registry administration (needs an identity with the admin role).</summary>
internal static class AgencyCommands
{
    public static Command Build(Runner run)
    {
        var agency = new Command("agency", "Registry administration: register, list, get, bind-cert, suspend (admin identity)");

        var register = new Command("register", "Register an agency");
        var organId = new Argument<string>("organ-id") { Description = "OrganId, e.g. 000.00.00.G12" };
        var name = new Option<string>("--name") { Description = "Display name", Required = true };
        var shortName = new Option<string?>("--short-name") { Description = "Short name" };
        var parent = new Option<string?>("--parent") { Description = "Parent agency's OrganId" };
        register.Arguments.Add(organId);
        register.Options.Add(name);
        register.Options.Add(shortName);
        register.Options.Add(parent);
        run.Action(register, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var response = await client.Registry.CreateAgencyAsync(new CreateAgencyRequest
            {
                RequestId = Guid.NewGuid().ToString("N"),
                Agency = new Agency
                {
                    OrganId = parse.GetValue(organId)!, DisplayName = parse.GetValue(name)!,
                    ShortName = parse.GetValue(shortName) ?? "", ParentOrganId = parse.GetValue(parent) ?? "",
                },
            }, cancellationToken: ct);
            WriteAgencies(ctx, [response.Agency], "agency");
            return 0;
        });

        var list = new Command("list", "List agencies");
        var contains = new Option<string?>("--contains") { Description = "Name contains" };
        var pageSize = new Option<int>("--page-size") { Description = "Most agencies to list", DefaultValueFactory = _ => 200 };
        list.Options.Add(contains);
        list.Options.Add(pageSize);
        run.Action(list, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var response = await client.Registry.ListAgenciesAsync(new ListAgenciesRequest { NameContains = parse.GetValue(contains) ?? "", PageSize = parse.GetValue(pageSize) }, cancellationToken: ct);
            WriteAgencies(ctx, response.Agencies, "agencies");
            return 0;
        });

        var get = new Command("get", "Show one agency and its certificate bindings");
        var getId = new Argument<string>("organ-id");
        get.Arguments.Add(getId);
        run.Action(get, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var found = await client.Registry.GetAgencyAsync(new GetAgencyRequest { OrganId = parse.GetValue(getId)! }, cancellationToken: ct);
            var bindings = await client.Registry.ListCertificateBindingsAsync(new ListCertificateBindingsRequest { OrganId = found.Agency.OrganId }, cancellationToken: ct);
            if (ctx.IsJson)
            {
                var bound = new JsonArray();
                foreach (var b in bindings.Bindings)
                {
                    var node = CliContext.ToJson(b).AsObject();
                    node.Remove("certificateDer");
                    bound.Add(node);
                }

                ctx.WriteJson(new JsonObject { ["agency"] = CliContext.ToJson(found.Agency), ["bindings"] = bound });
                return 0;
            }

            WriteAgencies(ctx, [found.Agency], "agency");
            var table = new Table().Title("Certificate bindings").AddColumns("Purpose", "Thumbprint", "Subject", "Not after");
            foreach (var b in bindings.Bindings)
            {
                table.AddRow(b.Purpose.ToString(), b.Thumbprint, Markup.Escape(b.Subject), b.NotAfter?.ToDateTimeOffset().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "");
            }

            ctx.Console.Write(table);
            return 0;
        });

        var bind = new Command("bind-cert", "Bind a certificate to an agency (client TLS or document signing)");
        var bindId = new Argument<string>("organ-id");
        var certFile = new Argument<string>("certificate") { Description = "PEM, DER or PFX file" };
        var purpose = new Option<string>("--purpose") { Description = "client or signing", Required = true };
        purpose.AcceptOnlyFromAmong("client", "signing");
        bind.Arguments.Add(bindId);
        bind.Arguments.Add(certFile);
        bind.Options.Add(purpose);
        run.Action(bind, async (ctx, parse, ct) =>
        {
            using var certificate = CertificateFiles.LoadCertificate(parse.GetValue(certFile)!);
            using var client = ctx.Connect();
            var binding = await BindAsync(client.Registry, parse.GetValue(bindId)!, certificate.RawData, parse.GetValue(purpose) == "client", ct);
            if (ctx.IsJson)
            {
                var node = CliContext.ToJson(binding).AsObject();
                node.Remove("certificateDer");
                ctx.WriteJson(new JsonObject { ["binding"] = node });
            }
            else
            {
                ctx.Console.MarkupLine($"Bound [bold]{binding.Thumbprint}[/] ({binding.Purpose}) to [bold]{Markup.Escape(binding.OrganId)}[/]");
            }

            return 0;
        });

        var suspend = new Command("suspend", "Suspend an agency (it can no longer send or receive)");
        var suspendId = new Argument<string>("organ-id");
        var reason = new Option<string>("--reason") { Description = "Why", DefaultValueFactory = _ => "suspended by an administrator" };
        suspend.Arguments.Add(suspendId);
        suspend.Options.Add(reason);
        run.Action(suspend, async (ctx, parse, ct) =>
        {
            using var client = ctx.Connect();
            var current = await client.Registry.GetAgencyAsync(new GetAgencyRequest { OrganId = parse.GetValue(suspendId)! }, cancellationToken: ct);
            var changed = await client.Registry.ChangeAgencyStateAsync(new ChangeAgencyStateRequest
            {
                RequestId = Guid.NewGuid().ToString("N"), OrganId = current.Agency.OrganId, State = LifecycleState.Suspended,
                Reason = parse.GetValue(reason)!, Etag = current.Agency.Etag,
            }, cancellationToken: ct);
            WriteAgencies(ctx, [changed.Agency], "agency");
            return 0;
        });

        foreach (var command in new[] { register, list, get, bind, suspend })
        {
            agency.Subcommands.Add(command);
        }

        return agency;
    }

    /// <summary>Binds a certificate: client TLS with the agency role, or document signing.</summary>
    public static async Task<CertificateBinding> BindAsync(RegistryService.RegistryServiceClient registry, string organId, byte[] der, bool clientTls, CancellationToken cancellationToken)
    {
        var request = new BindCertificateRequest
        {
            RequestId = Guid.NewGuid().ToString("N"), OrganId = organId, Certificate = ByteString.CopyFrom(der),
            Purpose = clientTls ? CertificatePurpose.ClientTls : CertificatePurpose.DocumentSigning,
        };
        if (clientTls)
        {
            request.Roles.Add(Role.Agency);
        }

        var response = await registry.BindCertificateAsync(request, cancellationToken: cancellationToken);
        return response.Binding;
    }

    private static void WriteAgencies(CliContext ctx, IEnumerable<Agency> agencies, string key)
    {
        if (ctx.IsJson)
        {
            var list = agencies.Select(a => (JsonNode?)CliContext.ToJson(a)).ToArray();
            ctx.WriteJson(key == "agency" ? new JsonObject { [key] = list[0] } : new JsonObject { [key] = new JsonArray(list) });
            return;
        }

        var table = new Table().AddColumns("OrganId", "Name", "Short", "Parent", "Level", "State");
        foreach (var a in agencies)
        {
            table.AddRow(a.OrganId, Markup.Escape(a.DisplayName), Markup.Escape(a.ShortName), a.ParentOrganId, a.Level.ToString(System.Globalization.CultureInfo.InvariantCulture), a.State.ToString());
        }

        ctx.Console.Write(table);
    }
}
