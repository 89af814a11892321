namespace Mesh.EdXml;

/// <summary>Stable reason codes of <see cref="EdXmlException"/>.</summary>
public static class EdXmlErrorReason
{
    /// <summary>Not well-formed XML, or not an edXML package (wrong root, wrong namespace, no envelope).</summary>
    public const string Malformed = "EDXML_MALFORMED";

    /// <summary>The document has a DTD (DOCTYPE). Refused for security: external entities (XXE) and entity expansion bombs need one.</summary>
    public const string DtdProhibited = "EDXML_DTD_PROHIBITED";

    /// <summary>The package, an attachment or the attachment count exceeds the configured limit.</summary>
    public const string TooLarge = "EDXML_TOO_LARGE";

    /// <summary>A required element is missing or an element's value is invalid; <see cref="EdXmlException.ElementPath"/> names it.</summary>
    public const string FieldInvalid = "EDXML_FIELD_INVALID";
}

/// <summary>
/// An edXML package or status message that cannot be read or written. <see cref="Reason"/> is one of the
/// stable codes of <see cref="EdXmlErrorReason"/>; <see cref="ElementPath"/> locates the offending element when known.
/// </summary>
public sealed class EdXmlException : Exception
{
    /// <summary>Creates an exception with a reason, a message and optionally the element path and the cause.</summary>
    /// <param name="reason">One of <see cref="EdXmlErrorReason"/>.</param>
    /// <param name="message">What is wrong, for people.</param>
    /// <param name="elementPath">Path of the offending element, e.g. <c>/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId</c>.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public EdXmlException(string reason, string message, string? elementPath = null, Exception? innerException = null)
        : base(elementPath is null ? message : $"{message} ({elementPath})", innerException)
    {
        Reason = reason;
        ElementPath = elementPath;
    }

    /// <summary>The stable reason code (<see cref="EdXmlErrorReason"/>).</summary>
    public string Reason { get; }

    /// <summary>Path of the offending element by local names (1-based index for repeated siblings), or null.</summary>
    public string? ElementPath { get; }
}
