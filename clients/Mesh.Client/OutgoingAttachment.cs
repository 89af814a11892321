using Mesh.Contracts.Routing.V1;

namespace Mesh.Client;

/// <summary>A file to send with a document. Opened twice: once to compute its digest, once to send it.</summary>
/// <param name="Name">File name, unique in the package.</param>
/// <param name="MediaType">Media type, e.g. "application/pdf".</param>
/// <param name="Role">Main document (the signed PDF) or attachment.</param>
/// <param name="Open">Opens the content for reading from the start.</param>
public sealed record OutgoingAttachment(string Name, string MediaType, AttachmentRole Role, Func<Stream> Open)
{
    /// <summary>Free description (edXML Description).</summary>
    public string Description { get; init; } = "";

    /// <summary>edXML ContentId, kept for round trips.</summary>
    public string ContentId { get; init; } = "";

    /// <summary>An attachment read from a file.</summary>
    public static OutgoingAttachment FromFile(string path, AttachmentRole role, string? mediaType = null) =>
        new(Path.GetFileName(path), mediaType ?? GuessMediaType(path), role, () => File.OpenRead(path));

    /// <summary>An attachment held in memory.</summary>
    public static OutgoingAttachment FromBytes(string name, byte[] content, AttachmentRole role, string? mediaType = null) =>
        new(name, mediaType ?? GuessMediaType(name), role, () => new MemoryStream(content, writable: false));

    private static string GuessMediaType(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".pdf" => "application/pdf",
        ".zip" => "application/zip",
        ".xml" or ".edxml" => "application/xml",
        ".doc" => "application/msword",
        ".docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".txt" => "text/plain",
        _ => "application/octet-stream",
    };
}

/// <summary>Progress of an upload or download.</summary>
/// <param name="Attachment">The attachment being transferred.</param>
/// <param name="Bytes">Bytes of it transferred so far.</param>
/// <param name="Total">Its size.</param>
/// <param name="TotalBytes">Bytes of the whole package transferred so far.</param>
/// <param name="PackageBytes">Size of the whole package.</param>
public sealed record TransferProgress(string Attachment, long Bytes, long Total, long TotalBytes, long PackageBytes);

/// <summary>A document downloaded to a folder, every attachment checked against the signed manifest.</summary>
/// <param name="Package">The signed package (manifest, signatures, receipt).</param>
/// <param name="Manifest">The decoded manifest.</param>
/// <param name="Files">Path of each attachment, in manifest order.</param>
public sealed record DownloadedDocument(DocumentPackage Package, DocumentManifest Manifest, IReadOnlyList<string> Files);
