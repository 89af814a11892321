using System.Globalization;
using System.Xml.Linq;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Common.V1;
using Mesh.Contracts.Routing.V1;

namespace Mesh.EdXml;

// edXML header elements → Mesh messages. The table is MAPPING.md; every element the reader does
// not know is recorded in `ignored` instead of silently vanishing.
internal static class HeaderMapper
{
    public static bool IsStatus(XElement messageHeader) => Child(messageHeader, "StatusCode") is not null;

    public static DocumentHeader ReadDocumentHeader(XElement h, List<string> ignored)
    {
        var header = new DocumentHeader();
        var from = Child(h, "From") ?? throw Missing(h, "From");
        header.From = ReadOrganization(from, ignored, required: true);
        foreach (var to in Children(h, "To"))
        {
            header.To.Add(ReadOrganization(to, ignored, required: true));
        }
        if (header.To.Count == 0)
        {
            throw Missing(h, "To");
        }
        foreach (var e in h.Elements())
        {
            switch (Local(e))
            {
                case "From" or "To":
                    break;
                case "DocumentId": header.DocumentId = e.Value; break;
                case "Code":
                    header.Code = new DocumentCode
                    {
                        CodeNumber = Text(e, "CodeNumber"),
                        CodeNotation = Text(e, "CodeNotation"),
                    };
                    IgnoreOthers(e, ignored, "CodeNumber", "CodeNotation");
                    break;
                case "PromulgationInfo":
                    header.PromulgationInfo = new PromulgationInfo
                    {
                        Place = Text(e, "Place"),
                        PromulgationDate = OptionalDate(e, "PromulgationDate"),
                    };
                    IgnoreOthers(e, ignored, "Place", "PromulgationDate");
                    break;
                case "DocumentType":
                    header.DocumentType = new DocumentType
                    {
                        Type = Int(e, "Type"),
                        TypeDetail = Int(e, "TypeDetail"),
                        TypeName = Text(e, "TypeName"),
                    };
                    IgnoreOthers(e, ignored, "Type", "TypeDetail", "TypeName");
                    break;
                case "Subject": header.Subject = e.Value; break;
                case "Content": header.Content = e.Value; break;
                case "SignerInfo":
                    header.SignerInfo = new SignerInfo
                    {
                        Competence = Text(e, "Competence"),
                        Position = Text(e, "Position"),
                        FullName = Text(e, "FullName"),
                    };
                    IgnoreOthers(e, ignored, "Competence", "Position", "FullName");
                    break;
                case "DueDate": header.DueDate = ParseDate(e); break;
                case "ToPlaces":
                    header.ToPlaces.AddRange(Children(e, "Place").Select(p => p.Value));
                    IgnoreOthers(e, ignored, "Place");
                    break;
                case "OtherInfo": header.OtherInfo = ReadOtherInfo(e, ignored); break;
                case "ResponseFor": header.ResponseFor.Add(ReadResponseFor(e, ignored)); break;
                case "SteeringType": header.SteeringType = ParseInt(e); break;
                default: ignored.Add(EdXmlNames.PathOf(e)); break;
            }
        }
        Require(h, "Subject");
        var code = Child(h, "Code") ?? throw Missing(h, "Code");
        Require(code, "CodeNumber");
        var promulgation = Child(h, "PromulgationInfo") ?? throw Missing(h, "PromulgationInfo");
        Require(promulgation, "PromulgationDate");
        return header;
    }

    public static StatusReport ReadStatus(XElement h, List<string> ignored)
    {
        var from = Child(h, "From") ?? throw Missing(h, "From");
        var responses = Children(h, "ResponseFor").ToList();
        if (responses.Count == 0)
        {
            throw Missing(h, "ResponseFor");
        }
        if (responses.Count > 1)
        {
            throw new EdXmlException(EdXmlErrorReason.FieldInvalid,
                "A status message names exactly one document (one ResponseFor).", EdXmlNames.PathOf(responses[1]));
        }
        var responseFor = ReadResponseFor(responses[0], ignored);
        if (responseFor.DocumentId.Length == 0)
        {
            throw Missing(responses[0], "DocumentId");
        }
        var codeElement = Child(h, "StatusCode")!;
        if (!int.TryParse(codeElement.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ||
            !System.Enum.IsDefined(typeof(StatusCode), code) || code == 0)
        {
            throw Invalid(codeElement, "StatusCode must be one of 01–06, 13, 15, 16");
        }
        var timestamp = Child(h, "Timestamp") ?? throw Missing(h, "Timestamp");
        var report = new StatusReport
        {
            From = ReadOrganization(from, ignored, required: true),
            DocumentId = responseFor.DocumentId,
            Code = (StatusCode)code,
            Description = Text(h, "Description"),
            Timestamp = ParseTimestamp(timestamp),
            ResponseFor = responseFor,
        };
        report.FromOrganId = report.From.OrganId;
        if (Child(h, "StaffInfo") is { } staff)
        {
            report.StaffInfo = ReadStaff(staff, ignored);
        }
        IgnoreOthers(h, ignored, "From", "ResponseFor", "StaffInfo", "StatusCode", "Description", "Timestamp");
        return report;
    }

    public static List<TraceHeader> ReadTraceHeaders(XElement list) =>
        Children(list, "TraceHeader").Select(t => new TraceHeader
        {
            OrganId = Text(t, "OrganId"),
            Timestamp = Child(t, "Timestamp") is { } ts ? ParseTimestamp(ts) : null,
        }).ToList();

    public static Business? ReadBusiness(XElement list, List<string> ignored)
    {
        foreach (var t in Children(list, "TraceHeader"))
        {
            IgnoreOthers(t, ignored, "OrganId", "Timestamp");
        }
        IgnoreOthers(list, ignored, "TraceHeader", "Bussiness");
        if (Child(list, "Bussiness") is not { } b)
        {
            return null;
        }
        var business = new Business
        {
            TargetDocumentId = Text(b, "DocumentId"),
            Reason = Text(b, "BussinessDocReason"),
            Paper = Int(b, "Paper"),
        };
        if (Child(b, "BussinessDocType") is { } type)
        {
            var value = ParseInt(type);
            business.Type = value switch
            {
                0 => BusinessType.New,
                1 => BusinessType.Revoke,
                2 => BusinessType.Update,
                3 => BusinessType.Replace,
                _ => throw Invalid(type, "BussinessDocType must be 0 (new), 1 (revoke), 2 (update) or 3 (replace)"),
            };
        }
        if (Child(b, "BussinessDocumentInfo") is { } info)
        {
            business.DocumentInfo = Text(info, "DocumentInfo");
            business.DocumentReceiver = Text(info, "DocumentReceiver");
            if (Child(info, "ReceiverList") is { } receivers)
            {
                foreach (var r in Children(receivers, "Receiver"))
                {
                    business.Receivers.Add(new Receiver { OrganId = Text(r, "OrganId"), ReceiverType = Int(r, "ReceiverType") });
                    IgnoreOthers(r, ignored, "OrganId", "ReceiverType");
                }
                IgnoreOthers(receivers, ignored, "Receiver");
            }
            IgnoreOthers(info, ignored, "DocumentInfo", "DocumentReceiver", "ReceiverList");
        }
        if (Child(b, "ReplacementInfoList") is { } replacements)
        {
            foreach (var r in Children(replacements, "ReplacementInfo"))
            {
                var info2 = new ReplacementInfo { DocumentId = Text(r, "DocumentId") };
                if (Child(r, "OrganIdList") is { } ids)
                {
                    info2.OrganIds.AddRange(Children(ids, "OrganId").Select(i => i.Value));
                    IgnoreOthers(ids, ignored, "OrganId");
                }
                business.Replacements.Add(info2);
                IgnoreOthers(r, ignored, "DocumentId", "OrganIdList");
            }
            IgnoreOthers(replacements, ignored, "ReplacementInfo");
        }
        if (Child(b, "StaffInfo") is { } staff)
        {
            business.StaffInfo = ReadStaff(staff, ignored);
        }
        IgnoreOthers(b, ignored, "DocumentId", "BussinessDocType", "BussinessDocReason", "Paper",
            "BussinessDocumentInfo", "ReplacementInfoList", "StaffInfo");
        return business;
    }

    public static List<ManifestReference> ReadReferences(XElement body, List<string> ignored)
    {
        var result = new List<ManifestReference>();
        IgnoreOthers(body, ignored, "edXMLManifest");
        if (Child(body, "edXMLManifest") is not { } manifest)
        {
            return result;
        }
        foreach (var r in Children(manifest, "Reference"))
        {
            result.Add(new ManifestReference(Text(r, "ContentId"), Text(r, "ContentType"), Text(r, "Description"),
                Text(r, "AttachmentName"), EdXmlNames.PathOf(r)));
            IgnoreOthers(r, ignored, "ContentId", "ContentType", "Description", "AttachmentName");
        }
        IgnoreOthers(manifest, ignored, "Reference");
        return result;
    }

    private static Organization ReadOrganization(XElement e, List<string> ignored, bool required)
    {
        var org = new Organization
        {
            OrganId = Text(e, "OrganId"),
            OrganizationInCharge = Text(e, "OrganizationInCharge"),
            OrganName = Text(e, "OrganName"),
            OrganAddress = Text(e, "OrganAdd"),
            Email = Text(e, "Email"),
            Telephone = Text(e, "Telephone"),
            Fax = Text(e, "Fax"),
            Website = Text(e, "Website"),
        };
        if (required && org.OrganId.Trim().Length == 0)
        {
            throw Missing(e, "OrganId");
        }
        IgnoreOthers(e, ignored, "OrganId", "OrganizationInCharge", "OrganName", "OrganAdd", "Email", "Telephone", "Fax", "Website");
        return org;
    }

    private static OtherInfo ReadOtherInfo(XElement e, List<string> ignored)
    {
        var info = new OtherInfo
        {
            SphereOfPromulgation = Text(e, "SphereOfPromulgation"),
            TyperNotation = Text(e, "TyperNotation"),
            PromulgationAmount = Int(e, "PromulgationAmount"),
            PageAmount = Int(e, "PageAmount"),
        };
        if (Child(e, "Priority") is { } p)
        {
            info.Priority = ParseInt(p) switch
            {
                0 => Priority.Normal,
                1 => Priority.Urgent,
                2 => Priority.VeryUrgent,
                3 => Priority.Flash,
                _ => throw Invalid(p, "Priority must be 0 (normal), 1 (Khẩn), 2 (Thượng khẩn) or 3 (Hỏa tốc)"),
            };
        }
        if (Child(e, "Direction") is { } d)
        {
            info.Direction = d.Value.Trim() switch
            {
                "true" or "1" => true,
                "false" or "0" or "" => false,
                _ => throw Invalid(d, "Direction must be true or false"),
            };
        }
        if (Child(e, "Appendixes") is { } appendixes)
        {
            info.Appendixes.AddRange(Children(appendixes, "Appendix").Select(a => a.Value));
            IgnoreOthers(appendixes, ignored, "Appendix");
        }
        IgnoreOthers(e, ignored, "Priority", "SphereOfPromulgation", "TyperNotation", "PromulgationAmount", "PageAmount",
            "Direction", "Appendixes");
        return info;
    }

    private static ResponseFor ReadResponseFor(XElement e, List<string> ignored)
    {
        var r = new ResponseFor
        {
            OrganId = Text(e, "OrganId"),
            Code = Text(e, "Code"),
            PromulgationDate = OptionalDate(e, "PromulgationDate"),
            DocumentId = Text(e, "DocumentId"),
        };
        IgnoreOthers(e, ignored, "OrganId", "Code", "PromulgationDate", "DocumentId");
        return r;
    }

    private static StaffInfo ReadStaff(XElement e, List<string> ignored)
    {
        var s = new StaffInfo
        {
            Department = Text(e, "Department"),
            Staff = Text(e, "Staff"),
            Mobile = Text(e, "Mobile"),
            Email = Text(e, "Email"),
        };
        IgnoreOthers(e, ignored, "Department", "Staff", "Mobile", "Email");
        return s;
    }

    private static string Local(XElement e) =>
        EdXmlNames.Is(e, e.Name.LocalName) ? e.Name.LocalName : "{foreign}" + e.Name.LocalName;

    private static XElement? Child(XElement e, string local) => e.Elements().FirstOrDefault(c => EdXmlNames.Is(c, local));

    private static IEnumerable<XElement> Children(XElement e, string local) => e.Elements().Where(c => EdXmlNames.Is(c, local));

    private static string Text(XElement e, string local) => Child(e, local)?.Value ?? "";

    private static int Int(XElement e, string local) => Child(e, local) is { } c ? ParseInt(c) : 0;

    private static int ParseInt(XElement e)
    {
        var text = e.Value.Trim();
        if (text.Length == 0)
        {
            return 0;
        }
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Invalid(e, "expected an integer");
    }

    private static Date? OptionalDate(XElement e, string local) =>
        Child(e, local) is { } c && c.Value.Trim().Length > 0 ? ParseDate(c) : null;

    private static Date ParseDate(XElement e) =>
        EdXmlFormats.ParseDate(e.Value) ?? throw Invalid(e, $"expected a date {EdXmlFormats.DateFormat}");

    private static Timestamp ParseTimestamp(XElement e) =>
        EdXmlFormats.ParseTimestamp(e.Value) ?? throw Invalid(e, $"expected a time {EdXmlFormats.TimestampFormat} (Asia/Ho_Chi_Minh)");

    private static void Require(XElement parent, string local)
    {
        if (Child(parent, local) is not { } c || c.Value.Trim().Length == 0)
        {
            throw Missing(parent, local);
        }
    }

    private static void IgnoreOthers(XElement e, List<string> ignored, params string[] known)
    {
        foreach (var c in e.Elements())
        {
            if (!known.Any(k => EdXmlNames.Is(c, k)))
            {
                ignored.Add(EdXmlNames.PathOf(c));
            }
        }
    }

    private static EdXmlException Missing(XElement parent, string local) =>
        new(EdXmlErrorReason.FieldInvalid, $"Required element {local} is missing or empty.", EdXmlNames.PathOf(parent) + "/" + local);

    private static EdXmlException Invalid(XElement e, string what) =>
        new(EdXmlErrorReason.FieldInvalid, $"Invalid value '{Truncate(e.Value)}': {what}.", EdXmlNames.PathOf(e));

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
