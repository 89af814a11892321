using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Routing.V1;
using Mesh.Routing.Domain;
using ProtoDeliveryState = Mesh.Contracts.Routing.V1.DeliveryState;
using ProtoStatusCode = Mesh.Contracts.Routing.V1.StatusCode;

namespace Mesh.Routing.Infrastructure;

/// <summary>Stored records → the messages adapters read.</summary>
internal static class RoutingViews
{
    public static DocumentSummary Summary(DocumentRecord d) => new()
    {
        DocumentId = d.Id,
        BusinessDocumentId = d.BusinessDocumentId,
        Sender = d.Sender,
        Recipients = { d.Recipients },
        Subject = d.Subject,
        Code = d.Code,
        TypeName = d.TypeName,
        Priority = (Priority)d.Priority,
        BusinessType = (BusinessType)d.BusinessType,
        TargetDocumentId = d.TargetDocumentId,
        AcceptTime = Timestamp.FromDateTimeOffset(d.AcceptTime),
        RevokedBy = d.RevokedBy,
        SupersededBy = d.SupersededBy,
        ManifestSha256 = ByteString.CopyFrom(Convert.FromHexString(d.ManifestSha256)),
    };

    public static ProtoDeliveryState State(Domain.DeliveryState state) => (ProtoDeliveryState)(int)state;

    public static ProtoStatusCode Code(BusinessStatus status) => (ProtoStatusCode)(int)status;

    public static StatusNotification Notification(StatusRecord s)
    {
        var report = StatusReport.Parser.ParseFrom(s.Report);
        return new StatusNotification
        {
            DocumentId = s.DocumentId,
            Reporter = s.Reporter,
            Code = Code(s.Code),
            Description = s.Description,
            ReportTime = Timestamp.FromDateTimeOffset(s.ReportTime),
            StaffInfo = report.StaffInfo,
        };
    }

    public static InboxItem DeliveryItem(InboxEntry entry, DeliveryRecord delivery, string etag, DocumentRecord document) => new()
    {
        Cursor = Cursor(entry.Sequence),
        Kind = InboxItemKind.Document,
        ItemId = delivery.Id,
        Document = Summary(document),
        DeliveryState = State(delivery.State),
        Flags = new DeadlineFlags { Late = document.Late, Overdue = delivery.Overdue },
        CreateTime = Timestamp.FromDateTimeOffset(delivery.CreateTime),
        UpdateTime = Timestamp.FromDateTimeOffset(delivery.UpdateTime),
        Etag = etag,
    };

    public static InboxItem StatusItem(InboxEntry entry, StatusRecord status, DocumentRecord document) => new()
    {
        Cursor = Cursor(entry.Sequence),
        Kind = InboxItemKind.Status,
        ItemId = status.Id,
        Document = Summary(document),
        Status = Notification(status),
        Flags = new DeadlineFlags { Late = document.Late },
        CreateTime = Timestamp.FromDateTimeOffset(status.ReportTime),
        UpdateTime = Timestamp.FromDateTimeOffset(status.ReportTime),
    };

    public static string Cursor(long sequence) => sequence.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
}
