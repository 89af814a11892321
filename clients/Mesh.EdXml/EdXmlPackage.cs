using System.Security.Cryptography;
using Mesh.Contracts.Routing.V1;

namespace Mesh.EdXml;

/// <summary>What an edXML file carries: an e-document package or a status message.</summary>
public enum EdXmlPackageKind
{
    /// <summary>An e-document: MessageHeader with From/To/Code…, a manifest and attachments.</summary>
    Document = 0,

    /// <summary>A status message: MessageHeader with StatusCode, no body (NOTES §2.5).</summary>
    Status = 1,
}

/// <summary>One attachment of an edXML package: its Mesh descriptor and its decoded bytes, kept exactly as sent.</summary>
public sealed class EdXmlAttachment
{
    /// <summary>Creates an attachment.</summary>
    /// <param name="descriptor">The Mesh descriptor (name, media type, size, SHA-256, role, content id, description).</param>
    /// <param name="content">The decoded content (for <c>application/zip</c> still zipped).</param>
    public EdXmlAttachment(AttachmentDescriptor descriptor, ReadOnlyMemory<byte> content)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        Descriptor = descriptor;
        Content = content;
    }

    /// <summary>Creates an attachment whose descriptor's size and SHA-256 are computed from <paramref name="content"/>.</summary>
    /// <param name="name">File name (AttachmentName).</param>
    /// <param name="mediaType">Media type (ContentType).</param>
    /// <param name="content">The bytes.</param>
    /// <param name="contentId">edXML ContentId (<c>cid:…</c>); empty lets the writer number it.</param>
    /// <param name="description">Description.</param>
    /// <param name="role">Main document or attachment.</param>
    public static EdXmlAttachment FromContent(string name, string mediaType, ReadOnlyMemory<byte> content,
        string contentId = "", string description = "", AttachmentRole role = AttachmentRole.Attachment)
    {
        var descriptor = new AttachmentDescriptor
        {
            Name = name,
            MediaType = mediaType,
            Size = content.Length,
            Sha256 = Google.Protobuf.ByteString.CopyFrom(SHA256.HashData(content.Span)),
            Role = role,
            ContentId = contentId,
            Description = description,
        };
        return new EdXmlAttachment(descriptor, content);
    }

    /// <summary>The Mesh descriptor, also present in <see cref="EdXmlDocument.Manifest"/>.</summary>
    public AttachmentDescriptor Descriptor { get; }

    /// <summary>The decoded bytes.</summary>
    public ReadOnlyMemory<byte> Content { get; }

    /// <summary>A read-only stream over <see cref="Content"/>.</summary>
    public Stream OpenRead() => new MemoryStream(Content.ToArray(), writable: false);

    /// <summary>The entries of the content when it is a ZIP (the SDK packs each file in a ZIP); see <see cref="EdXmlZip.ListEntries(ReadOnlyMemory{byte})"/>.</summary>
    public IReadOnlyList<EdXmlZipEntry> ListZipEntries() => EdXmlZip.ListEntries(Content);
}

/// <summary>An e-document package read from edXML.</summary>
public sealed class EdXmlDocument
{
    /// <summary>The Mesh manifest: header (incl. TraceHeaderList and Bussiness) and one descriptor per attachment.</summary>
    public required DocumentManifest Manifest { get; init; }

    /// <summary>The attachments, in the order of <see cref="DocumentManifest.Attachments"/>.</summary>
    public required IReadOnlyList<EdXmlAttachment> Attachments { get; init; }

    /// <summary>The envelope's XML-DSig <c>Signature</c> element as raw XML (for the signature service), or null.</summary>
    public string? SignatureXml { get; init; }

    /// <summary>The hops of the TraceHeaderList (same objects as <c>Manifest.Header.TraceHeaders</c>).</summary>
    public IReadOnlyList<TraceHeader> TraceHeaders => Manifest.Header.TraceHeaders;

    /// <summary>Paths of elements the reader did not recognise and skipped (they are not exported again).</summary>
    public IReadOnlyList<string> IgnoredElements { get; init; } = [];
}

/// <summary>A status message read from edXML.</summary>
public sealed class EdXmlStatus
{
    /// <summary>The Mesh status report.</summary>
    public required StatusReport Report { get; init; }

    /// <summary>The envelope's XML-DSig <c>Signature</c> element as raw XML, or null.</summary>
    public string? SignatureXml { get; init; }

    /// <summary>The hops of a TraceHeaderList, if the producer added one (the SDK samples have none).</summary>
    public IReadOnlyList<TraceHeader> TraceHeaders { get; init; } = [];

    /// <summary>Paths of elements the reader did not recognise and skipped.</summary>
    public IReadOnlyList<string> IgnoredElements { get; init; } = [];
}

/// <summary>The result of <see cref="EdXmlReader.Read(Stream)"/>: exactly one of <see cref="Document"/> and <see cref="Status"/>.</summary>
public sealed class EdXmlPackage
{
    /// <summary>Which one it is.</summary>
    public required EdXmlPackageKind Kind { get; init; }

    /// <summary>The e-document, when <see cref="Kind"/> is <see cref="EdXmlPackageKind.Document"/>.</summary>
    public EdXmlDocument? Document { get; init; }

    /// <summary>The status message, when <see cref="Kind"/> is <see cref="EdXmlPackageKind.Status"/>.</summary>
    public EdXmlStatus? Status { get; init; }
}
