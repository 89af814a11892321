using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Mesh.Pki;
using Spectre.Console;

namespace Mesh.Cli.Commands;

/// <summary>`mesh pki`: a development CA and agency certificates (never for production keys).</summary>
internal static class PkiCommands
{
    public static Command Build(Runner run)
    {
        var pki = new Command("pki", "Development PKI: a CA, and agency client-TLS and document-signing certificates");

        var init = new Command("init", "Create a development CA (ca.pfx with its key, ca.pem)");
        var initOut = new Option<string>("--out") { Description = "Folder to write to", Required = true };
        var initName = new Option<string>("--name") { Description = "CA common name", DefaultValueFactory = _ => "Mesh development CA" };
        init.Options.Add(initOut);
        init.Options.Add(initName);
        run.Action(init, (ctx, parse, _) =>
        {
            var dir = parse.GetValue(initOut)!;
            var pfx = Path.Combine(dir, "ca.pfx");
            if (File.Exists(pfx))
            {
                throw new CliException($"{pfx} exists; a CA is never overwritten.");
            }

            using var ca = DevelopmentPki.CreateRootCa(parse.GetValue(initName)!, TimeSpan.FromDays(3650));
            DevelopmentPki.SavePfx(ca, pfx);
            var pem = Path.Combine(dir, "ca.pem");
            File.WriteAllText(pem, ca.ExportCertificatePem() + "\n");
            Report(ctx, "CA", [new IssuedFile("ca", ca.Subject, ca.Thumbprint, ca.NotAfter, pfx, pem)]);
            return Task.FromResult(0);
        });

        var issue = new Command("issue", "Issue an agency's client-TLS and document-signing certificates (PFX + PEM each)");
        var issuer = new Option<string>("--issuer") { Description = "The CA with its key (ca.pfx; a hub's is {data}/pki/ca.pfx)", Required = true };
        var organId = new Option<string>("--organ-id") { Description = "The agency's OrganId, e.g. 000.00.00.G12", Required = true };
        var name = new Option<string>("--name") { Description = "The agency's name", Required = true };
        var outDir = new Option<string>("--out") { Description = "Folder to write to", Required = true };
        var days = new Option<int>("--days") { Description = "Validity in days", DefaultValueFactory = _ => 365 };
        foreach (var option in new Option[] { issuer, organId, name, outDir, days })
        {
            issue.Options.Add(option);
        }

        run.Action(issue, (ctx, parse, _) =>
        {
            using var ca = CertificateFiles.Load(parse.GetValue(issuer)!);
            var files = IssueAgency(ca, parse.GetValue(organId)!, parse.GetValue(name)!, parse.GetValue(outDir)!, TimeSpan.FromDays(parse.GetValue(days)));
            Report(ctx, parse.GetValue(organId)!, files);
            return Task.FromResult(0);
        });

        pki.Subcommands.Add(init);
        pki.Subcommands.Add(issue);
        return pki;
    }

    /// <summary>Issues and writes {organ}-client.pfx/.pem and {organ}-signing.pfx/.pem.</summary>
    public static IReadOnlyList<IssuedFile> IssueAgency(X509Certificate2 ca, string organId, string agencyName, string directory, TimeSpan validity)
    {
        if (!OrganIdLooksValid(organId))
        {
            throw new CliException($"'{organId}' is not an OrganId (e.g. 000.00.00.G12).");
        }

        Directory.CreateDirectory(directory);
        using var client = DevelopmentPki.IssueClientCertificate(ca, organId, agencyName, validity);
        using var signing = DevelopmentPki.IssueSigningCertificate(ca, organId, agencyName, validity);
        return [Write(client, "client", organId, directory), Write(signing, "signing", organId, directory)];
    }

    private static IssuedFile Write(X509Certificate2 certificate, string kind, string organId, string directory)
    {
        var pfx = Path.Combine(directory, $"{organId}-{kind}.pfx");
        var pem = Path.Combine(directory, $"{organId}-{kind}.pem");
        DevelopmentPki.SavePfx(certificate, pfx);
        using var key = certificate.GetECDsaPrivateKey();
        var keyPem = key?.ExportPkcs8PrivateKeyPem() ?? certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(pem, certificate.ExportCertificatePem() + "\n" + keyPem + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(pem, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return new IssuedFile(kind, certificate.Subject, certificate.Thumbprint, certificate.NotAfter, pfx, pem);
    }

    private static bool OrganIdLooksValid(string organId) =>
        organId.Length == 13 && organId.Count(c => c == '.') == 3;

    private static void Report(CliContext ctx, string title, IReadOnlyList<IssuedFile> files)
    {
        if (ctx.IsJson)
        {
            var array = new JsonArray();
            foreach (var f in files)
            {
                array.Add(new JsonObject
                {
                    ["kind"] = f.Kind, ["subject"] = f.Subject, ["thumbprint"] = f.Thumbprint,
                    ["notAfter"] = f.NotAfter.ToUniversalTime().ToString("O"), ["pfx"] = f.Pfx, ["pem"] = f.Pem,
                });
            }

            ctx.WriteJson(new JsonObject { ["certificates"] = array });
            return;
        }

        var table = new Table().Title(Markup.Escape(title)).AddColumns("Kind", "Subject", "Thumbprint", "Files");
        foreach (var f in files)
        {
            table.AddRow(Markup.Escape(f.Kind), Markup.Escape(f.Subject), f.Thumbprint, Markup.Escape($"{f.Pfx}\n{f.Pem}"));
        }

        ctx.Console.Write(table);
    }
}

/// <summary>A certificate written by `mesh pki`.</summary>
internal sealed record IssuedFile(string Kind, string Subject, string Thumbprint, DateTime NotAfter, string Pfx, string Pem);
