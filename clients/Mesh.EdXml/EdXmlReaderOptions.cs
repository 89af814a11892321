namespace Mesh.EdXml;

/// <summary>Which attachment of an imported package becomes the Mesh main document. edXML has no such flag.</summary>
public enum MainDocumentSelection
{
    /// <summary>The first manifest reference is <c>ATTACHMENT_ROLE_MAIN_DOCUMENT</c>, the others <c>ATTACHMENT_ROLE_ATTACHMENT</c>.</summary>
    FirstAttachment = 0,

    /// <summary>Every attachment is <c>ATTACHMENT_ROLE_ATTACHMENT</c>; the caller chooses the main document.</summary>
    None = 1,
}

/// <summary>Limits and choices of <see cref="EdXmlReader"/>.</summary>
public sealed class EdXmlReaderOptions
{
    /// <summary>Largest package accepted, in bytes of the encoded XML (default 128 MiB). Also the XML character limit.</summary>
    public long MaxPackageBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>Largest decoded attachment accepted, in bytes (default 64 MiB).</summary>
    public long MaxAttachmentBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most attachments accepted in one package (default 256).</summary>
    public int MaxAttachments { get; init; } = 256;

    /// <summary>Which attachment becomes the main document (default: the first).</summary>
    public MainDocumentSelection MainDocument { get; init; } = MainDocumentSelection.FirstAttachment;

    internal void Validate()
    {
        if (MaxPackageBytes <= 0 || MaxAttachmentBytes <= 0 || MaxAttachments < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(EdXmlReaderOptions), "Limits must be positive.");
        }
    }
}
