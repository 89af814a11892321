using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Routing.Domain;
using Mesh.State;

namespace Mesh.Routing.Infrastructure;

/// <summary>An attachment as stored with its document.</summary>
internal sealed record StoredAttachment(string Name, string MediaType, long Size, string Sha256, int Role, string ContentId, string Description);

/// <summary>One step of a recipient's timeline.</summary>
internal sealed record TraceEntry(DateTimeOffset Time, string Kind, string Actor, string Detail);

/// <summary>An accepted document (the signed manifest is kept byte for byte).</summary>
internal sealed record DocumentRecord
{
    public required string Id { get; init; }
    public required string BusinessDocumentId { get; init; }
    public required string Sender { get; init; }
    public required List<string> Recipients { get; init; }
    public required byte[] Manifest { get; init; }
    public required byte[] ManifestSignature { get; init; }
    public required string ManifestSha256 { get; init; }
    public required DateTimeOffset AcceptTime { get; init; }
    public bool Late { get; init; }
    public int BusinessType { get; init; }
    public string TargetDocumentId { get; init; } = "";
    public required List<StoredAttachment> Attachments { get; init; }
    public string Subject { get; init; } = "";
    public string Code { get; init; } = "";
    public string TypeName { get; init; } = "";
    public int Priority { get; init; }
    public string RevokedBy { get; init; } = "";
    public string SupersededBy { get; init; } = "";
    public List<string> ChangedBy { get; init; } = [];
    public string RequestId { get; init; } = "";
}

/// <summary>One recipient's delivery of a document and its timeline.</summary>
internal sealed record DeliveryRecord
{
    public required string Id { get; init; }
    public required string DocumentId { get; init; }
    public required string Sender { get; init; }
    public required string Recipient { get; init; }
    public DeliveryState State { get; init; } = DeliveryState.Pending;
    public required DateTimeOffset CreateTime { get; init; }
    public required DateTimeOffset UpdateTime { get; init; }
    public required DateTimeOffset AcknowledgeBy { get; init; }
    public bool Overdue { get; init; }
    public BusinessStatus LastStatus { get; init; }
    public bool WithdrawPending { get; init; }
    public long InboxSequence { get; init; }
    public List<TraceEntry> Events { get; init; } = [];
}

/// <summary>A recorded business status, with the signed report.</summary>
internal sealed record StatusRecord(string Id, string DocumentId, string Reporter, BusinessStatus Code, string Description, DateTimeOffset ReportTime, byte[] Report, byte[] Signature, long AuditLeafIndex);

/// <summary>One position in an agency's inbox.</summary>
internal sealed record InboxEntry(long Sequence, int Kind, string ItemId, string DocumentId, string Sender, int BusinessType, DateTimeOffset CreateTime);

/// <summary>What a request id was used for (idempotency).</summary>
internal sealed record RequestRecord(string Fingerprint, string ResultId);

/// <summary>The hub's signed receipt of a document.</summary>
internal sealed record ReceiptRecord(byte[] ReceiptBytes, byte[] Signature);

/// <summary>An overdue-check entry, due at its key's time.</summary>
internal sealed record DueEntry(string DeliveryKey);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = false)]
[JsonSerializable(typeof(DocumentRecord))]
[JsonSerializable(typeof(DeliveryRecord))]
[JsonSerializable(typeof(StatusRecord))]
[JsonSerializable(typeof(InboxEntry))]
[JsonSerializable(typeof(RequestRecord))]
[JsonSerializable(typeof(ReceiptRecord))]
[JsonSerializable(typeof(DueEntry))]
internal sealed partial class RoutingJson : JsonSerializerContext;

/// <summary>Key layout of the routing service in the state store.</summary>
internal static class RoutingKeys
{
    public const string Prefix = "routing/";
    public const string DuePrefix = "routing/due/";
    public const string UnfinishedPrefix = "routing/unfinished/";

    public static string Document(string id) => $"routing/doc/{id}";
    public static string Receipt(string id) => $"routing/receipt/{id}";

    /// <summary>Marks an accepted document whose receipt and events are not stored yet (value: accept time, UTC ticks).</summary>
    public static string Unfinished(string id) => $"{UnfinishedPrefix}{id}";

    /// <summary>The value of an unfinished marker: the document's accept time.</summary>
    public static byte[] UnfinishedSince(DateTimeOffset accepted) => BitConverter.GetBytes(accepted.UtcTicks);

    /// <summary>The accept time an unfinished marker holds; the earliest time when it holds none (so it is swept).</summary>
    public static DateTimeOffset UnfinishedSince(ReadOnlySpan<byte> value) =>
        value.Length == sizeof(long) ? new DateTimeOffset(BitConverter.ToInt64(value), TimeSpan.Zero) : DateTimeOffset.MinValue;
    public static string Delivery(string documentId, string recipient) => $"routing/dlv/{documentId}/{recipient}";
    public static string DeliveryId(string documentId, string recipient) => $"{documentId}/{recipient}";
    public static string Status(string id) => $"routing/status/{id}";
    public static string InboxPrefix(string organ) => $"routing/inbox/{organ}/";
    public static string Inbox(string organ, long sequence) => $"routing/inbox/{organ}/{sequence:D19}";
    public static string Sequence(string organ) => $"routing/seq/{organ}";
    public static string Outbox(string sender, string documentId) => $"routing/outbox/{sender}/{documentId}";
    public static string Code(string sender, int year, string number, string notation) => $"routing/code/{sender}/{year:D4}/{Hash(number + "/" + notation)}";
    public static string BusinessId(string businessDocumentId) => $"routing/bizid/{Hash(businessDocumentId)}";
    public static string Request(string organ, string kind, string requestId) => $"routing/req/{organ}/{kind}/{Hash(requestId)}";
    public static string Due(DateTimeOffset at, string documentId, string recipient) => $"{DuePrefix}{at.UtcTicks:D19}/{documentId}/{recipient}";

    /// <summary>The delivery key of a delivery id ("{documentId}/{recipient}"), or null when malformed.</summary>
    public static string? DeliveryKeyOf(string deliveryId)
    {
        var slash = deliveryId.IndexOf('/', StringComparison.Ordinal);
        return slash <= 0 || slash == deliveryId.Length - 1 || deliveryId.Length > 200 ? null : $"routing/dlv/{deliveryId}";
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..40];
}

/// <summary>JSON (de)serialisation of stored records.</summary>
internal static class Stored
{
    public static byte[] Write<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) => JsonSerializer.SerializeToUtf8Bytes(value, info);

    public static T Read<T>(StateItem item, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        JsonSerializer.Deserialize(item.Value.Span, info) ?? throw new InvalidDataException($"'{item.Key}' holds no value.");
}
