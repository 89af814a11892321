using System.Security.Cryptography;
using Google.Protobuf;
using Mesh.Contracts.Common.V1;
using Mesh.Contracts.Routing.V1;

namespace Mesh.Testing.Routing;

/// <summary>An attachment to send: its bytes and role.</summary>
/// <param name="Name">File name.</param>
/// <param name="Content">Bytes.</param>
/// <param name="Role">Main document or attachment.</param>
public sealed record OutgoingAttachment(string Name, byte[] Content, AttachmentRole Role = AttachmentRole.Attachment)
{
    /// <summary>Its descriptor as the manifest declares it.</summary>
    public AttachmentDescriptor Descriptor() => new()
    {
        Name = Name,
        MediaType = Role == AttachmentRole.MainDocument ? "application/pdf" : "application/octet-stream",
        Size = Content.Length,
        Sha256 = ByteString.CopyFrom(SHA256.HashData(Content)),
        Role = Role,
    };
}

/// <summary>Builds valid manifests; tests then break exactly one rule.</summary>
public static class ManifestFactory
{
    private static int s_number = Random.Shared.Next(1, 1_000_000);

    /// <summary>A fresh document number, unique in this process.</summary>
    public static string NextNumber() => Interlocked.Increment(ref s_number).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A new-document manifest from <paramref name="from"/> to <paramref name="to"/> promulgated on <paramref name="date"/>.</summary>
    public static DocumentManifest Create(string from, IEnumerable<string> to, IEnumerable<OutgoingAttachment> attachments, DateOnly date, string? number = null, string notation = "BTC-VP")
    {
        number ??= NextNumber();
        var header = new DocumentHeader
        {
            From = new Organization { OrganId = from, OrganName = "Sender " + from },
            Code = new DocumentCode { CodeNumber = number, CodeNotation = notation },
            PromulgationInfo = new PromulgationInfo { Place = "Hà Nội", PromulgationDate = new Date { Year = date.Year, Month = date.Month, Day = date.Day } },
            DocumentType = new DocumentType { Type = 1, TypeDetail = 0, TypeName = "Công văn" },
            Subject = "V/v thử nghiệm trục liên thông văn bản",
            Content = "Nội dung",
            SignerInfo = new SignerInfo { Competence = "KT. BỘ TRƯỞNG", Position = "Thứ trưởng", FullName = "Nguyễn Văn A" },
            OtherInfo = new OtherInfo { Priority = Priority.Normal, Classification = Classification.Unclassified },
            DocumentId = $"{from},{date:yyyy'/'MM'/'dd},{number}/{notation}",
            Business = new Business { Type = BusinessType.New },
        };
        header.To.AddRange(to.Select(t => new Organization { OrganId = t }));
        var manifest = new DocumentManifest { Header = header };
        manifest.Attachments.AddRange(attachments.Select(a => a.Descriptor()));
        return manifest;
    }

    /// <summary>The chunks of every attachment, in order, at most <paramref name="chunkSize"/> bytes each.</summary>
    public static IEnumerable<AttachmentChunk> Chunks(IReadOnlyList<OutgoingAttachment> attachments, int chunkSize = 256 * 1024)
    {
        for (var i = 0; i < attachments.Count; i++)
        {
            var content = attachments[i].Content;
            for (var offset = 0; offset < content.Length; offset += chunkSize)
            {
                yield return new AttachmentChunk { AttachmentIndex = i, Offset = offset, Data = ByteString.CopyFrom(content, offset, Math.Min(chunkSize, content.Length - offset)) };
            }
        }
    }
}
