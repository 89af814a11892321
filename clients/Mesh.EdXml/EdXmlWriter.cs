using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using Mesh.Contracts.Routing.V1;

namespace Mesh.EdXml;

/// <summary>Extras for <see cref="EdXmlWriter"/>.</summary>
public sealed class EdXmlWriteOptions
{
    /// <summary>Hops appended after the header's own trace headers (e.g. the hub's hop when it exports).</summary>
    public IReadOnlyList<TraceHeader> AppendTraceHeaders { get; init; } = [];

    /// <summary>
    /// An XML-DSig <c>Signature</c> element (raw XML) to place in the edXMLHeader, written byte for byte. A signature
    /// read from another package does not verify over the rewritten package; sign the written bytes instead.
    /// </summary>
    public string? SignatureXml { get; init; }
}

/// <summary>
/// Writes Mesh documents and status reports as edXML (QCVN 102:2016) in the layout of the VPCP SDK samples:
/// default namespace on the root, <c>edXML:</c> prefix in the envelope, <c>AttachmentEncoded</c> unprefixed,
/// UTF-8, CRLF, two-space indentation. The output depends only on the input, so writing what was read
/// from a written package gives the same bytes. Field mapping: MAPPING.md.
/// </summary>
public sealed class EdXmlWriter
{
    private const string P = "edXML";
    private const string Ns = EdXmlFormats.Namespace;
    private const int Base64Chunk = 48 * 1024;

    /// <summary>Writes an e-document package.</summary>
    /// <param name="manifest">Header and attachment descriptors.</param>
    /// <param name="contents">The content of each attachment, in the order of <c>manifest.Attachments</c>; size and SHA-256 must match the descriptors.</param>
    /// <param name="output">Where to write; not disposed.</param>
    /// <param name="options">Extra trace headers and a signature, if any.</param>
    /// <exception cref="EdXmlException"><see cref="EdXmlErrorReason.FieldInvalid"/> when the manifest cannot be expressed in edXML or a content does not match its descriptor.</exception>
    public void WriteDocument(DocumentManifest manifest, IReadOnlyList<ReadOnlyMemory<byte>> contents, Stream output, EdXmlWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new EdXmlWriteOptions();
        var header = manifest.Header ?? throw Invalid("Manifest has no header.", "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader");
        var attachments = Ordered(manifest, contents);
        var signature = CheckSignature(options.SignatureXml);

        using var w = Create(output);
        WriteProlog(w);
        w.WriteStartElement(P, "edXMLHeader", Ns);
        WriteMessageHeader(w, header);
        var traces = header.TraceHeaders.Concat(options.AppendTraceHeaders).ToList();
        if (traces.Count > 0 || header.Business is not null)
        {
            w.WriteStartElement(P, "TraceHeaderList", Ns);
            foreach (var t in traces)
            {
                w.WriteStartElement(P, "TraceHeader", Ns);
                E(w, "OrganId", t.OrganId);
                if (t.Timestamp is not null)
                {
                    E(w, "Timestamp", EdXmlFormats.FormatTimestamp(t.Timestamp));
                }
                w.WriteEndElement();
            }
            if (header.Business is { } b)
            {
                WriteBusiness(w, b);
            }
            w.WriteEndElement();
        }
        WriteSignature(w, signature);
        w.WriteEndElement(); // edXMLHeader

        w.WriteStartElement(P, "edXMLBody", Ns);
        w.WriteStartElement(P, "edXMLManifest", Ns);
        w.WriteAttributeString("version", "1.0");
        foreach (var (d, _, cid) in attachments)
        {
            w.WriteStartElement(P, "Reference", Ns);
            E(w, "ContentId", cid);
            E(w, "ContentType", d.MediaType);
            E(w, "Description", d.Description);
            E(w, "AttachmentName", d.Name);
            w.WriteEndElement();
        }
        w.WriteEndElement(); // edXMLManifest
        w.WriteEndElement(); // edXMLBody
        w.WriteEndElement(); // edXMLEnvelope

        if (attachments.Count > 0)
        {
            // As the SDK writes it: AttachmentEncoded and its children in the default namespace, the
            // base64 element with its own edXML prefix declaration.
            w.WriteStartElement("AttachmentEncoded", Ns);
            foreach (var (d, content, cid) in attachments)
            {
                w.WriteStartElement("Attachment", Ns);
                w.WriteElementString("ContentId", Ns, cid);
                w.WriteElementString("AttachmentName", Ns, d.Name);
                w.WriteElementString("Description", Ns, d.Description);
                w.WriteElementString("ContentType", Ns, d.MediaType);
                w.WriteStartElement(P, "ContentTransferEncoded", Ns);
                var bytes = content.ToArray();
                for (var offset = 0; offset < bytes.Length; offset += Base64Chunk)
                {
                    w.WriteBase64(bytes, offset, Math.Min(Base64Chunk, bytes.Length - offset));
                }
                w.WriteEndElement();
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        w.WriteEndElement(); // edXML
    }

    /// <summary>Writes a package read by <see cref="EdXmlReader"/> (its manifest, contents and signature).</summary>
    /// <param name="document">The document.</param>
    /// <param name="output">Where to write; not disposed.</param>
    public void WriteDocument(EdXmlDocument document, Stream output)
    {
        ArgumentNullException.ThrowIfNull(document);
        WriteDocument(document.Manifest, document.Attachments.Select(a => a.Content).ToList(), output,
            new EdXmlWriteOptions { SignatureXml = document.SignatureXml });
    }

    /// <summary>Writes a status message (MessageHeader with From, ResponseFor, StaffInfo, StatusCode, Description, Timestamp; no body).</summary>
    /// <param name="report">The status report.</param>
    /// <param name="output">Where to write; not disposed.</param>
    /// <param name="options">Trace headers and a signature, if any.</param>
    /// <exception cref="EdXmlException"><see cref="EdXmlErrorReason.FieldInvalid"/> when the report lacks what a status message needs.</exception>
    public void WriteStatus(StatusReport report, Stream output, EdXmlWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new EdXmlWriteOptions();
        const string h = "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader";
        var from = report.From?.Clone() ?? new Organization();
        if (from.OrganId.Length == 0)
        {
            from.OrganId = report.FromOrganId;
        }
        if (from.OrganId.Length == 0)
        {
            throw Invalid("The status has no reporting agency.", h + "/From/OrganId");
        }
        if (report.FromOrganId.Length > 0 && report.FromOrganId != from.OrganId)
        {
            throw Invalid("from_organ_id and from.organ_id differ.", h + "/From/OrganId");
        }
        var responseFor = report.ResponseFor?.Clone() ?? new ResponseFor();
        if (responseFor.DocumentId.Length == 0)
        {
            responseFor.DocumentId = report.DocumentId;
        }
        if (responseFor.DocumentId.Length == 0)
        {
            throw Invalid("The status names no document.", h + "/ResponseFor/DocumentId");
        }
        if (report.Code == StatusCode.Unspecified || !Enum.IsDefined(report.Code))
        {
            throw Invalid("The status has no valid code.", h + "/StatusCode");
        }
        if (report.Timestamp is null)
        {
            throw Invalid("The status has no timestamp.", h + "/Timestamp");
        }
        var signature = CheckSignature(options.SignatureXml);

        using var w = Create(output);
        WriteProlog(w);
        w.WriteStartElement(P, "edXMLHeader", Ns);
        w.WriteStartElement(P, "MessageHeader", Ns);
        WriteOrganization(w, "From", from);
        WriteResponseFor(w, responseFor);
        if (report.StaffInfo is { } staff)
        {
            WriteStaff(w, staff);
        }
        E(w, "StatusCode", ((int)report.Code).ToString("D2", CultureInfo.InvariantCulture));
        E(w, "Description", report.Description);
        E(w, "Timestamp", EdXmlFormats.FormatTimestamp(report.Timestamp));
        w.WriteEndElement(); // MessageHeader
        if (options.AppendTraceHeaders.Count > 0)
        {
            w.WriteStartElement(P, "TraceHeaderList", Ns);
            foreach (var t in options.AppendTraceHeaders)
            {
                w.WriteStartElement(P, "TraceHeader", Ns);
                E(w, "OrganId", t.OrganId);
                if (t.Timestamp is not null)
                {
                    E(w, "Timestamp", EdXmlFormats.FormatTimestamp(t.Timestamp));
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        WriteSignature(w, signature);
        w.WriteEndElement(); // edXMLHeader
        w.WriteEndElement(); // edXMLEnvelope
        w.WriteEndElement(); // edXML
    }

    /// <summary>Writes a status read by <see cref="EdXmlReader"/> (report, trace headers and signature).</summary>
    /// <param name="status">The status.</param>
    /// <param name="output">Where to write; not disposed.</param>
    public void WriteStatus(EdXmlStatus status, Stream output)
    {
        ArgumentNullException.ThrowIfNull(status);
        WriteStatus(status.Report, output, new EdXmlWriteOptions { AppendTraceHeaders = status.TraceHeaders, SignatureXml = status.SignatureXml });
    }

    private static XmlWriterSettings Settings() => new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = true,
        IndentChars = "  ",
        NewLineChars = "\r\n",
        NewLineHandling = NewLineHandling.Replace,
        OmitXmlDeclaration = true,
        CloseOutput = false,
    };

    // The declaration as the SDK writes it (XmlWriter would say "utf-8"), then the root and the envelope.
    private static readonly byte[] Declaration = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n");

    private static XmlWriter Create(Stream output)
    {
        output.Write(Declaration);
        return XmlWriter.Create(output, Settings());
    }

    private static void WriteProlog(XmlWriter w)
    {
        w.WriteStartElement("edXML", Ns);
        w.WriteStartElement(P, "edXMLEnvelope", Ns);
    }

    private static void WriteMessageHeader(XmlWriter w, DocumentHeader h)
    {
        const string path = "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader";
        if (h.From is null || h.From.OrganId.Length == 0)
        {
            throw Invalid("The header has no sender.", path + "/From/OrganId");
        }
        if (h.To.Count == 0)
        {
            throw Invalid("The header has no recipient.", path + "/To");
        }
        if (h.OtherInfo is { Classification: > Contracts.Routing.V1.Classification.Unclassified })
        {
            // QĐ 28/2018 and QCVN 102 exclude state secrets from electronic exchange.
            throw Invalid("A classified document cannot be exported as edXML.", path + "/OtherInfo");
        }
        w.WriteStartElement(P, "MessageHeader", Ns);
        WriteOrganization(w, "From", h.From);
        foreach (var to in h.To)
        {
            WriteOrganization(w, "To", to);
        }
        if (h.DocumentId.Length > 0)
        {
            E(w, "DocumentId", h.DocumentId);
        }
        if (h.Code is { } code)
        {
            w.WriteStartElement(P, "Code", Ns);
            E(w, "CodeNumber", code.CodeNumber);
            E(w, "CodeNotation", code.CodeNotation);
            w.WriteEndElement();
        }
        if (h.PromulgationInfo is { } pi)
        {
            w.WriteStartElement(P, "PromulgationInfo", Ns);
            E(w, "Place", pi.Place);
            if (pi.PromulgationDate is not null)
            {
                E(w, "PromulgationDate", Date(pi.PromulgationDate, path + "/PromulgationInfo/PromulgationDate"));
            }
            w.WriteEndElement();
        }
        if (h.DocumentType is { } dt)
        {
            w.WriteStartElement(P, "DocumentType", Ns);
            E(w, "Type", Int(dt.Type));
            E(w, "TypeDetail", Int(dt.TypeDetail));
            E(w, "TypeName", dt.TypeName);
            w.WriteEndElement();
        }
        E(w, "Subject", h.Subject);
        if (h.Content.Length > 0)
        {
            E(w, "Content", h.Content);
        }
        if (h.SignerInfo is { } si)
        {
            w.WriteStartElement(P, "SignerInfo", Ns);
            E(w, "Competence", si.Competence);
            E(w, "Position", si.Position);
            E(w, "FullName", si.FullName);
            w.WriteEndElement();
        }
        if (h.DueDate is not null)
        {
            E(w, "DueDate", Date(h.DueDate, path + "/DueDate"));
        }
        if (h.OtherInfo is { } oi)
        {
            w.WriteStartElement(P, "OtherInfo", Ns);
            if (oi.Priority != Priority.Unspecified)
            {
                E(w, "Priority", oi.Priority switch
                {
                    Priority.Normal => "0",
                    Priority.Urgent => "1",
                    Priority.VeryUrgent => "2",
                    Priority.Flash => "3",
                    _ => throw Invalid($"Unknown priority {oi.Priority}.", path + "/OtherInfo/Priority"),
                });
            }
            if (oi.SphereOfPromulgation.Length > 0)
            {
                E(w, "SphereOfPromulgation", oi.SphereOfPromulgation);
            }
            if (oi.TyperNotation.Length > 0)
            {
                E(w, "TyperNotation", oi.TyperNotation);
            }
            E(w, "PromulgationAmount", Int(oi.PromulgationAmount));
            E(w, "PageAmount", Int(oi.PageAmount));
            E(w, "Direction", oi.Direction ? "true" : "false");
            if (oi.Appendixes.Count > 0)
            {
                w.WriteStartElement(P, "Appendixes", Ns);
                foreach (var a in oi.Appendixes)
                {
                    E(w, "Appendix", a);
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        foreach (var r in h.ResponseFor)
        {
            WriteResponseFor(w, r);
        }
        E(w, "SteeringType", Int(h.SteeringType));
        if (h.ToPlaces.Count > 0)
        {
            w.WriteStartElement(P, "ToPlaces", Ns);
            foreach (var place in h.ToPlaces)
            {
                E(w, "Place", place);
            }
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    private static void WriteBusiness(XmlWriter w, Business b)
    {
        w.WriteStartElement(P, "Bussiness", Ns);
        if (b.TargetDocumentId.Length > 0)
        {
            E(w, "DocumentId", b.TargetDocumentId);
        }
        if (b.Type != BusinessType.Unspecified)
        {
            E(w, "BussinessDocType", b.Type switch
            {
                BusinessType.New => "0",
                BusinessType.Revoke => "1",
                BusinessType.Update => "2",
                BusinessType.Replace => "3",
                _ => throw Invalid($"Unknown business type {b.Type}.", "/edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList/Bussiness/BussinessDocType"),
            });
        }
        E(w, "BussinessDocReason", b.Reason);
        E(w, "Paper", Int(b.Paper));
        if (b.DocumentInfo.Length > 0 || b.DocumentReceiver.Length > 0 || b.Receivers.Count > 0)
        {
            w.WriteStartElement(P, "BussinessDocumentInfo", Ns);
            E(w, "DocumentInfo", b.DocumentInfo);
            E(w, "DocumentReceiver", b.DocumentReceiver);
            if (b.Receivers.Count > 0)
            {
                w.WriteStartElement(P, "ReceiverList", Ns);
                foreach (var r in b.Receivers)
                {
                    w.WriteStartElement(P, "Receiver", Ns);
                    E(w, "OrganId", r.OrganId);
                    E(w, "ReceiverType", Int(r.ReceiverType));
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        if (b.Replacements.Count > 0)
        {
            w.WriteStartElement(P, "ReplacementInfoList", Ns);
            foreach (var r in b.Replacements)
            {
                w.WriteStartElement(P, "ReplacementInfo", Ns);
                E(w, "DocumentId", r.DocumentId);
                w.WriteStartElement(P, "OrganIdList", Ns);
                foreach (var id in r.OrganIds)
                {
                    E(w, "OrganId", id);
                }
                w.WriteEndElement();
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        if (b.StaffInfo is { } staff)
        {
            WriteStaff(w, staff);
        }
        w.WriteEndElement();
    }

    private static void WriteOrganization(XmlWriter w, string element, Organization o)
    {
        w.WriteStartElement(P, element, Ns);
        E(w, "OrganId", o.OrganId);
        E(w, "OrganizationInCharge", o.OrganizationInCharge);
        E(w, "OrganName", o.OrganName);
        E(w, "OrganAdd", o.OrganAddress);
        E(w, "Email", o.Email);
        E(w, "Telephone", o.Telephone);
        E(w, "Fax", o.Fax);
        E(w, "Website", o.Website);
        w.WriteEndElement();
    }

    private static void WriteResponseFor(XmlWriter w, ResponseFor r)
    {
        w.WriteStartElement(P, "ResponseFor", Ns);
        E(w, "OrganId", r.OrganId);
        E(w, "Code", r.Code);
        if (r.PromulgationDate is not null)
        {
            E(w, "PromulgationDate", Date(r.PromulgationDate, "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/ResponseFor/PromulgationDate"));
        }
        E(w, "DocumentId", r.DocumentId);
        w.WriteEndElement();
    }

    private static void WriteStaff(XmlWriter w, StaffInfo s)
    {
        w.WriteStartElement(P, "StaffInfo", Ns);
        E(w, "Department", s.Department);
        E(w, "Staff", s.Staff);
        E(w, "Email", s.Email);
        E(w, "Mobile", s.Mobile);
        w.WriteEndElement();
    }

    private static void WriteSignature(XmlWriter w, string? signature)
    {
        if (signature is not null)
        {
            // Raw, so that the signed bytes of SignedInfo are not re-serialised; the line breaks around
            // it only keep the layout readable (the writer does not indent around raw XML).
            w.WriteRaw("\r\n      " + signature + "\r\n    ");
        }
    }

    private static string? CheckSignature(string? signature)
    {
        if (signature is null)
        {
            return null;
        }
        const string path = "/edXML/edXMLEnvelope/edXMLHeader/Signature";
        try
        {
            using var r = XmlReader.Create(new StringReader(signature), EdXmlReader.SecureSettings(signature.Length + 1L));
            r.MoveToContent();
            if (r.NodeType != XmlNodeType.Element || r.LocalName != "Signature" ||
                (r.NamespaceURI != EdXmlFormats.XmlDsigNamespace && r.NamespaceURI != EdXmlFormats.Namespace))
            {
                throw Invalid("The signature is not a Signature element.", path);
            }
            r.Skip();
            while (r.Read())
            {
                if (r.NodeType != XmlNodeType.Whitespace)
                {
                    throw Invalid("The signature must be a single element.", path);
                }
            }
        }
        catch (XmlException ex)
        {
            throw new EdXmlException(EdXmlErrorReason.FieldInvalid, $"The signature is not well-formed XML: {ex.Message}", path, ex);
        }
        return signature;
    }

    private static List<(AttachmentDescriptor Descriptor, ReadOnlyMemory<byte> Content, string ContentId)> Ordered(
        DocumentManifest manifest, IReadOnlyList<ReadOnlyMemory<byte>> contents)
    {
        if (contents.Count != manifest.Attachments.Count)
        {
            throw Invalid($"The manifest declares {manifest.Attachments.Count} attachments but {contents.Count} contents were given.",
                "/edXML/AttachmentEncoded");
        }
        var list = new List<(AttachmentDescriptor, ReadOnlyMemory<byte>, string)>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < contents.Count; i++)
        {
            var d = manifest.Attachments[i];
            var path = $"/edXML/AttachmentEncoded/Attachment[{i + 1}]";
            if (d.Name.Length == 0)
            {
                throw Invalid("An attachment has no name.", path + "/AttachmentName");
            }
            if (d.Size != contents[i].Length || !SHA256.HashData(contents[i].Span).AsSpan().SequenceEqual(d.Sha256.Span))
            {
                throw Invalid($"The content of '{d.Name}' does not match its size and SHA-256.", path + "/ContentTransferEncoded");
            }
            // edXML links manifest references to attachments by ContentId, so one is numbered when Mesh has none.
            var cid = d.ContentId.Length > 0 ? d.ContentId : "cid:" + (i + 1).ToString(CultureInfo.InvariantCulture);
            if (!ids.Add(cid))
            {
                throw Invalid($"ContentId '{cid}' is used twice.", path + "/ContentId");
            }
            list.Add((d, contents[i], cid));
        }
        // edXML has no role flag; the reader takes the first reference as the main document.
        return list.Where(a => a.Item1.Role == AttachmentRole.MainDocument)
            .Concat(list.Where(a => a.Item1.Role != AttachmentRole.MainDocument))
            .ToList();
    }

    private static void E(XmlWriter w, string local, string value) => w.WriteElementString(P, local, Ns, value);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Date(Contracts.Common.V1.Date date, string path) =>
        EdXmlFormats.FormatDate(date) ?? throw Invalid($"{date.Year}/{date.Month}/{date.Day} is not a calendar date.", path);

    private static EdXmlException Invalid(string message, string path) => new(EdXmlErrorReason.FieldInvalid, message, path);
}
