using System.Globalization;
using System.Security.Cryptography;
using System.Xml;
using System.Xml.Linq;
using Google.Protobuf;
using Mesh.Contracts.Routing.V1;

namespace Mesh.EdXml;

/// <summary>
/// Reads edXML (QCVN 102:2016) packages and status messages into Mesh messages. Elements are matched by
/// namespace and local name, so any prefix works (<c>edXML:</c> or the default namespace; children without a
/// namespace are accepted too). DTDs are refused, nothing external is resolved, the package and every
/// attachment are size-limited, and attachments are base64-decoded in chunks while hashing.
/// Field mapping: MAPPING.md.
/// </summary>
/// <param name="options">Limits; defaults when null.</param>
public sealed class EdXmlReader(EdXmlReaderOptions? options = null)
{
    private const int DecodeChunk = 64 * 1024;
    private readonly EdXmlReaderOptions _options = Validated(options ?? new EdXmlReaderOptions());

    /// <summary>Reads a package or a status message.</summary>
    /// <param name="input">The edXML bytes; read once, forward only, not disposed.</param>
    /// <returns>The document or the status.</returns>
    /// <exception cref="EdXmlException">With a stable <see cref="EdXmlException.Reason"/> for every refusal.</exception>
    public EdXmlPackage Read(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            return ReadCore(input);
        }
        catch (EdXmlException)
        {
            throw;
        }
        catch (XmlException ex) when (ex.Message.Contains("MaxCharacters", StringComparison.Ordinal))
        {
            throw new EdXmlException(EdXmlErrorReason.TooLarge,
                $"The package exceeds the limit of {_options.MaxPackageBytes} characters.", null, ex);
        }
        catch (XmlException ex) when (IsDtdRefusal(ex))
        {
            throw new EdXmlException(EdXmlErrorReason.DtdProhibited,
                "DTDs are not allowed in edXML (entity expansion and external entities are refused).", null, ex);
        }
        catch (XmlException ex)
        {
            throw new EdXmlException(EdXmlErrorReason.Malformed,
                $"Not well-formed XML at line {ex.LineNumber}, position {ex.LinePosition}: {ex.Message}", null, ex);
        }
        catch (Exception ex) when (ex is System.Text.DecoderFallbackException or InvalidOperationException)
        {
            throw new EdXmlException(EdXmlErrorReason.Malformed, $"Unreadable XML: {ex.Message}", null, ex);
        }
    }

    /// <summary>
    /// Reads a package or a status message from a stream that should not be read synchronously (a network
    /// body): copies it asynchronously into memory, cut at <see cref="EdXmlReaderOptions.MaxPackageBytes"/>,
    /// then parses it as <see cref="Read(Stream)"/> does.
    /// </summary>
    /// <param name="input">The edXML bytes; read once, not disposed.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <exception cref="EdXmlException">With a stable <see cref="EdXmlException.Reason"/> for every refusal.</exception>
    public async Task<EdXmlPackage> ReadAsync(Stream input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var buffer = new MemoryStream();
        var chunk = new byte[DecodeChunk];
        int n;
        while ((n = await input.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > _options.MaxPackageBytes)
            {
                throw new EdXmlException(EdXmlErrorReason.TooLarge, $"The package exceeds the limit of {_options.MaxPackageBytes} bytes.");
            }
            buffer.Write(chunk, 0, n);
        }
        buffer.Position = 0;
        return Read(buffer);
    }

    /// <summary>Reads an e-document package; a status message is refused.</summary>
    /// <param name="input">The edXML bytes.</param>
    /// <exception cref="EdXmlException">For every refusal; <see cref="EdXmlErrorReason.FieldInvalid"/> for a status message.</exception>
    public EdXmlDocument ReadDocument(Stream input) =>
        Read(input).Document ?? throw new EdXmlException(EdXmlErrorReason.FieldInvalid,
            "This is a status message, not an e-document package.", "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/StatusCode");

    /// <summary>Reads a status message; an e-document package is refused.</summary>
    /// <param name="input">The edXML bytes.</param>
    /// <exception cref="EdXmlException">For every refusal; <see cref="EdXmlErrorReason.FieldInvalid"/> for an e-document.</exception>
    public EdXmlStatus ReadStatus(Stream input) =>
        Read(input).Status ?? throw new EdXmlException(EdXmlErrorReason.FieldInvalid,
            "This is an e-document package, not a status message (no StatusCode).", "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/StatusCode");

    /// <summary>The XML reader settings used: DTD prohibited, no resolver, character limits.</summary>
    /// <param name="maxCharacters">Largest document in characters.</param>
    public static XmlReaderSettings SecureSettings(long maxCharacters) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = maxCharacters,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = false,
    };

    private static EdXmlReaderOptions Validated(EdXmlReaderOptions o)
    {
        o.Validate();
        return o;
    }

    private static bool IsDtdRefusal(XmlException ex) =>
        ex.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase) ||
        ex.Message.Contains("DtdProcessing", StringComparison.Ordinal);

    private EdXmlPackage ReadCore(Stream input)
    {
        using var limited = new LimitedReadStream(input, _options.MaxPackageBytes);
        using var xml = XmlReader.Create(limited, SecureSettings(_options.MaxPackageBytes));
        var ignored = new List<string>();
        XElement? messageHeader = null, traceList = null, body = null;
        string? signature = null;
        var encoded = new List<EncodedAttachment>();

        xml.MoveToContent();
        if (!EdXmlNames.IsEdXml(xml.NamespaceURI, xml.LocalName, "edXML", root: true))
        {
            throw new EdXmlException(EdXmlErrorReason.Malformed,
                $"The root element is {{{xml.NamespaceURI}}}{xml.LocalName}, expected {{{EdXmlFormats.Namespace}}}edXML.", "/" + xml.LocalName);
        }
        var envelopeSeen = false;
        foreach (var (ns, local) in Children(xml))
        {
            if (EdXmlNames.IsEdXml(ns, local, "edXMLEnvelope"))
            {
                envelopeSeen = true;
                foreach (var (ns2, local2) in Children(xml))
                {
                    if (EdXmlNames.IsEdXml(ns2, local2, "edXMLHeader"))
                    {
                        foreach (var (ns3, local3) in Children(xml))
                        {
                            if (EdXmlNames.IsEdXml(ns3, local3, "MessageHeader") && messageHeader is null)
                            {
                                messageHeader = LoadElement(xml);
                            }
                            else if (EdXmlNames.IsEdXml(ns3, local3, "TraceHeaderList") && traceList is null)
                            {
                                traceList = LoadElement(xml);
                            }
                            else if (local3 == "Signature" && (ns3 == EdXmlFormats.XmlDsigNamespace || EdXmlNames.IsEdXml(ns3, local3, "Signature")) && signature is null)
                            {
                                signature = xml.ReadOuterXml();
                            }
                            else
                            {
                                ignored.Add($"/edXML/edXMLEnvelope/edXMLHeader/{local3}");
                                xml.Skip();
                            }
                        }
                    }
                    else if (EdXmlNames.IsEdXml(ns2, local2, "edXMLBody") && body is null)
                    {
                        body = LoadElement(xml);
                    }
                    else
                    {
                        ignored.Add($"/edXML/edXMLEnvelope/{local2}");
                        xml.Skip();
                    }
                }
            }
            else if (EdXmlNames.IsEdXml(ns, local, "AttachmentEncoded"))
            {
                foreach (var (ns2, local2) in Children(xml))
                {
                    if (EdXmlNames.IsEdXml(ns2, local2, "Attachment"))
                    {
                        if (encoded.Count >= _options.MaxAttachments)
                        {
                            throw new EdXmlException(EdXmlErrorReason.TooLarge,
                                $"More than {_options.MaxAttachments} attachments.", "/edXML/AttachmentEncoded/Attachment");
                        }
                        encoded.Add(ReadAttachment(xml, encoded.Count + 1, ignored));
                    }
                    else
                    {
                        ignored.Add($"/edXML/AttachmentEncoded/{local2}");
                        xml.Skip();
                    }
                }
            }
            else
            {
                ignored.Add($"/edXML/{local}");
                xml.Skip();
            }
        }

        if (!envelopeSeen)
        {
            throw new EdXmlException(EdXmlErrorReason.Malformed, "No edXMLEnvelope element.", "/edXML/edXMLEnvelope");
        }
        if (messageHeader is null)
        {
            throw new EdXmlException(EdXmlErrorReason.FieldInvalid, "No MessageHeader.", "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader");
        }

        var traceHeaders = traceList is null ? [] : HeaderMapper.ReadTraceHeaders(traceList);
        if (HeaderMapper.IsStatus(messageHeader))
        {
            // A status message has no body; anything carried anyway is reported, not dropped silently.
            if (body is not null)
            {
                ignored.Add("/edXML/edXMLEnvelope/edXMLBody");
            }
            ignored.AddRange(encoded.Select(e => e.Path));
            return new EdXmlPackage
            {
                Kind = EdXmlPackageKind.Status,
                Status = new EdXmlStatus
                {
                    Report = HeaderMapper.ReadStatus(messageHeader, ignored),
                    SignatureXml = signature,
                    TraceHeaders = traceHeaders,
                    IgnoredElements = ignored,
                },
            };
        }

        var header = HeaderMapper.ReadDocumentHeader(messageHeader, ignored);
        header.TraceHeaders.AddRange(traceHeaders);
        if (traceList is not null)
        {
            header.Business = HeaderMapper.ReadBusiness(traceList, ignored);
        }
        var references = body is null ? [] : HeaderMapper.ReadReferences(body, ignored);
        var attachments = Match(references, encoded);
        var manifest = new DocumentManifest { Header = header };
        manifest.Attachments.AddRange(attachments.Select(a => a.Descriptor));
        return new EdXmlPackage
        {
            Kind = EdXmlPackageKind.Document,
            Document = new EdXmlDocument
            {
                Manifest = manifest,
                Attachments = attachments,
                SignatureXml = signature,
                IgnoredElements = ignored,
            },
        };
    }

    private List<EdXmlAttachment> Match(List<ManifestReference> references, List<EncodedAttachment> encoded)
    {
        var byKey = new Dictionary<string, EncodedAttachment>(StringComparer.Ordinal);
        foreach (var e in encoded)
        {
            if (!byKey.TryAdd(Key(e.ContentId, e.Name), e))
            {
                throw new EdXmlException(EdXmlErrorReason.FieldInvalid,
                    $"Two attachments share the ContentId/AttachmentName '{Key(e.ContentId, e.Name)}'.", e.Path);
            }
        }
        var result = new List<EdXmlAttachment>(references.Count);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in references)
        {
            var key = Key(r.ContentId, r.Name);
            if (!used.Add(key))
            {
                throw new EdXmlException(EdXmlErrorReason.FieldInvalid, $"The manifest declares '{key}' twice.", r.Path);
            }
            if (!byKey.TryGetValue(key, out var content))
            {
                throw new EdXmlException(EdXmlErrorReason.FieldInvalid,
                    $"The manifest declares '{key}' but the package has no such attachment.", r.Path);
            }
            var role = _options.MainDocument == MainDocumentSelection.FirstAttachment && result.Count == 0
                ? AttachmentRole.MainDocument
                : AttachmentRole.Attachment;
            // The manifest Reference is authoritative for name, type and description; the Attachment
            // element repeats them and is used only where the Reference leaves them out.
            var descriptor = new AttachmentDescriptor
            {
                Name = r.Name.Length > 0 ? r.Name : content.Name,
                MediaType = r.ContentType.Length > 0 ? r.ContentType : content.ContentType,
                Description = r.Description.Length > 0 ? r.Description : content.Description,
                ContentId = r.ContentId.Length > 0 ? r.ContentId : content.ContentId,
                Size = content.Bytes.Length,
                Sha256 = ByteString.CopyFrom(content.Sha256),
                Role = role,
            };
            if (descriptor.Name.Length == 0)
            {
                throw new EdXmlException(EdXmlErrorReason.FieldInvalid, "An attachment has no AttachmentName.", r.Path + "/AttachmentName");
            }
            result.Add(new EdXmlAttachment(descriptor, content.Bytes));
        }
        var undeclared = encoded.FirstOrDefault(e => !used.Contains(Key(e.ContentId, e.Name)));
        if (undeclared is not null)
        {
            throw new EdXmlException(EdXmlErrorReason.FieldInvalid,
                $"The attachment '{Key(undeclared.ContentId, undeclared.Name)}' is not declared in the manifest.", undeclared.Path);
        }
        return result;
    }

    private static string Key(string contentId, string name) => contentId.Length > 0 ? contentId : "name:" + name;

    private EncodedAttachment ReadAttachment(XmlReader xml, int index, List<string> ignored)
    {
        var path = $"/edXML/AttachmentEncoded/Attachment[{index}]";
        string contentId = "", name = "", description = "", contentType = "";
        byte[]? bytes = null;
        byte[]? sha = null;
        foreach (var (ns, local) in Children(xml))
        {
            if (!EdXmlNames.IsEdXml(ns, local, local))
            {
                ignored.Add($"{path}/{local}");
                xml.Skip();
                continue;
            }
            switch (local)
            {
                case "ContentId": contentId = xml.ReadElementContentAsString(); break;
                case "AttachmentName": name = xml.ReadElementContentAsString(); break;
                case "Description": description = xml.ReadElementContentAsString(); break;
                case "ContentType": contentType = xml.ReadElementContentAsString(); break;
                case "ContentTransferEncoded" when bytes is null:
                    (bytes, sha) = DecodeBase64(xml, $"{path}/ContentTransferEncoded");
                    break;
                default:
                    ignored.Add($"{path}/{local}");
                    xml.Skip();
                    break;
            }
        }
        if (bytes is null || sha is null)
        {
            throw new EdXmlException(EdXmlErrorReason.FieldInvalid, "An attachment has no ContentTransferEncoded.", $"{path}/ContentTransferEncoded");
        }
        return new EncodedAttachment(contentId, name, description, contentType, bytes, sha, path);
    }

    // Decodes base64 in chunks as the parser streams it, hashing and counting on the way, so the
    // attachment never exists as one giant string and an oversized one stops at the limit.
    private (byte[] Bytes, byte[] Sha256) DecodeBase64(XmlReader xml, string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var output = new MemoryStream();
        var buffer = new byte[DecodeChunk];
        try
        {
            if (xml.IsEmptyElement)
            {
                xml.Read();
                return ([], hash.GetHashAndReset());
            }
            int n;
            while ((n = xml.ReadElementContentAsBase64(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + n > _options.MaxAttachmentBytes)
                {
                    throw new EdXmlException(EdXmlErrorReason.TooLarge,
                        $"An attachment exceeds the limit of {_options.MaxAttachmentBytes} bytes.", path);
                }
                hash.AppendData(buffer, 0, n);
                output.Write(buffer, 0, n);
            }
        }
        catch (XmlException ex) when (ex.Message.Contains("Base64", StringComparison.OrdinalIgnoreCase))
        {
            throw new EdXmlException(EdXmlErrorReason.FieldInvalid, "ContentTransferEncoded is not valid base64.", path, ex);
        }
        catch (FormatException ex)
        {
            throw new EdXmlException(EdXmlErrorReason.FieldInvalid, "ContentTransferEncoded is not valid base64.", path, ex);
        }
        return (output.ToArray(), hash.GetHashAndReset());
    }

    // Loads one small header element (MessageHeader, TraceHeaderList, edXMLBody) for mapping; the
    // package limit bounds it.
    private static XElement LoadElement(XmlReader xml)
    {
        using var sub = xml.ReadSubtree();
        var element = XElement.Load(sub, LoadOptions.None);
        xml.Read();
        return element;
    }

    // Yields each child element of the current element, positioned on it; the caller consumes it
    // (reads or skips) before asking for the next. Leaves the reader after the parent's end tag.
    private static IEnumerable<(string Ns, string Local)> Children(XmlReader xml)
    {
        if (xml.IsEmptyElement)
        {
            xml.Read();
            yield break;
        }
        var depth = xml.Depth;
        xml.Read();
        while (true)
        {
            if (xml.NodeType == XmlNodeType.EndElement && xml.Depth == depth)
            {
                xml.Read();
                yield break;
            }
            if (xml.NodeType == XmlNodeType.Element)
            {
                // Every caller reads, loads or skips the element before asking for the next one.
                yield return (xml.NamespaceURI, xml.LocalName);
                continue;
            }
            if (xml.NodeType == XmlNodeType.Text || xml.NodeType == XmlNodeType.CDATA)
            {
                if (!string.IsNullOrWhiteSpace(xml.Value))
                {
                    throw new XmlException($"Unexpected text in element '{xml.LocalName}'.");
                }
            }
            if (!xml.Read())
            {
                throw new XmlException("Unexpected end of document.");
            }
        }
    }

    private sealed record EncodedAttachment(string ContentId, string Name, string Description, string ContentType,
        byte[] Bytes, byte[] Sha256, string Path);
}

internal sealed record ManifestReference(string ContentId, string ContentType, string Description, string Name, string Path);

internal static class EdXmlNames
{
    // Matches an element of the edXML namespace by local name. Producers differ in prefixes; some leave
    // children unqualified, so the empty namespace is accepted below the root.
    public static bool IsEdXml(string ns, string local, string expected, bool root = false) =>
        local == expected && (ns == EdXmlFormats.Namespace || (!root && ns.Length == 0));

    public static bool Is(XElement e, string local) => IsEdXml(e.Name.NamespaceName, e.Name.LocalName, local);

    public static string PathOf(XElement e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.Parent)
        {
            var name = x.Name.LocalName;
            var siblings = x.Parent?.Elements(x.Name).ToList();
            if (siblings is { Count: > 1 })
            {
                name += "[" + (siblings.IndexOf(x) + 1).ToString(CultureInfo.InvariantCulture) + "]";
            }
            parts.Add(name);
        }
        parts.Reverse();
        var prefix = parts[0] switch
        {
            "MessageHeader" or "TraceHeaderList" => "/edXML/edXMLEnvelope/edXMLHeader/",
            "edXMLBody" => "/edXML/edXMLEnvelope/",
            _ => "/",
        };
        return prefix + string.Join('/', parts);
    }
}
