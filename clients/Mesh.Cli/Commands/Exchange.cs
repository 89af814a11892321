using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Mesh.Client;
using Mesh.Contracts.Common.V1;
using Mesh.Contracts.Routing.V1;
using Mesh.Contracts.Signature.V1;

namespace Mesh.Cli.Commands;

/// <summary>What `send`, `fetch` and `demo` share: building headers and checking what the hub signed.</summary>
internal static class Exchange
{
    /// <summary>The fields of a header a person types.</summary>
    internal sealed record HeaderInput(
        string From, IReadOnlyList<string> To, string Number, string Notation, string Subject, string TypeName,
        Priority Priority, string Place, string SignerName, string SignerPosition, string Content, DateOnly Date, DateOnly? Due, string FromName);

    public static DocumentHeader BuildHeader(HeaderInput input)
    {
        var header = new DocumentHeader
        {
            From = new Organization { OrganId = input.From, OrganName = input.FromName },
            Code = new DocumentCode { CodeNumber = input.Number, CodeNotation = input.Notation },
            PromulgationInfo = new PromulgationInfo { Place = input.Place, PromulgationDate = ToDate(input.Date) },
            DocumentType = new DocumentType { Type = 1, TypeName = input.TypeName },
            Subject = input.Subject,
            Content = input.Content,
            SignerInfo = new SignerInfo { FullName = input.SignerName, Position = input.SignerPosition },
            OtherInfo = new OtherInfo { Priority = input.Priority, Classification = Classification.Unclassified },
            Business = new Business { Type = BusinessType.New },
            // NĐ 30 / QCVN 102: the business id is "OrganId,yyyy/MM/dd,number/notation".
            DocumentId = string.Create(CultureInfo.InvariantCulture, $"{input.From},{input.Date:yyyy'/'MM'/'dd},{input.Number}/{input.Notation}"),
        };
        if (input.Due is { } due)
        {
            header.DueDate = ToDate(due);
        }

        header.To.AddRange(input.To.Select(t => new Organization { OrganId = t }));
        return header;
    }

    public static Date ToDate(DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    public static string MediaTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".pdf" => "application/pdf",
        ".xml" or ".edxml" => "application/xml",
        ".txt" => "text/plain",
        ".docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".zip" => "application/zip",
        _ => "application/octet-stream",
    };

    /// <summary>A document number that does not repeat from one second to the next (1 to 11 digits, NĐ 30 Art. 15.1).</summary>
    public static string FreshNumber(TimeProvider time) =>
        (time.GetUtcNow().ToUnixTimeSeconds() % 10_000_000_000L).ToString(CultureInfo.InvariantCulture);

    /// <summary>Fetches the hub's receipt-signing certificate.</summary>
    public static async Task<X509Certificate2> HubCertificateAsync(MeshClient client, CancellationToken cancellationToken)
    {
        var response = await client.Signature.GetSigningCertificateAsync(new GetSigningCertificateRequest(), cancellationToken: cancellationToken);
        return X509CertificateLoader.LoadCertificate(response.CertificateDer.ToByteArray());
    }

    /// <summary>
    /// Checks the hub's signature over the receipt bytes; throws when it does not verify. The hub's
    /// certificate comes from SignatureService.GetSigningCertificate; a hub that does not serve that
    /// RPC yet is checked against the certificate inside the signature, and the result says so.
    /// </summary>
    public static async Task<(Receipt Receipt, string HubSubject)> VerifyReceiptAsync(MeshClient client, ByteString receiptBytes, ByteString signature, CancellationToken cancellationToken)
    {
        X509Certificate2 hub;
        var note = "";
        try
        {
            hub = await HubCertificateAsync(client, cancellationToken).ConfigureAwait(false);
        }
        catch (Grpc.Core.RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.Unimplemented)
        {
            hub = CmsSigning.VerifyDetached(receiptBytes.Span, signature.Span);
            note = " (certificate from the signature: this hub does not serve GetSigningCertificate, so it is not pinned)";
        }

        using (hub)
        {
            var receipt = MeshClient.VerifyReceipt(receiptBytes.Span, signature.Span, hub);
            return (receipt, hub.Subject + note);
        }
    }

    public static StatusCode ParseStatus(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0 && Enum.IsDefined((StatusCode)number))
        {
            return (StatusCode)number;
        }

        if (!text.All(char.IsAsciiDigit) && Enum.TryParse<StatusCode>(text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var named) && named != StatusCode.Unspecified)
        {
            return named;
        }

        throw new CliException($"'{text}' is not a status code (01 arrived, 02 rejected, 03 accepted, 04 assigned, 05 processing, 06 finished, 13, 15, 16).");
    }

    public static string Code(StatusCode code) => code == StatusCode.Unspecified ? "" : $"{(int)code:D2} {code}";

    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? "" : time.ToDateTimeOffset().ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
