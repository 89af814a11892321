using System.Globalization;
using Mesh.Events;
using StackExchange.Redis;

namespace Mesh.Backends.Redis;

/// <summary>A <see cref="CloudEvent"/> as the fields of one stream entry (CloudEvents attribute names where there is one).</summary>
internal static class StreamCodec
{
    public const string DeadLetterGroup = "mesh.deadletter.group";
    public const string DeadLetterReason = "mesh.deadletter.reason";
    public const string DeadLetterOrigin = "mesh.deadletter.origin";

    public static NameValueEntry[] Encode(CloudEvent cloudEvent)
    {
        var fields = new List<NameValueEntry>(9)
        {
            new("id", cloudEvent.Id),
            new("source", cloudEvent.Source),
            new("type", cloudEvent.Type),
            new("datacontenttype", cloudEvent.DataContentType),
            // Round-trip format keeps the ticks and the offset the publisher gave.
            new("time", cloudEvent.Time.ToString("O", CultureInfo.InvariantCulture)),
            new("data", cloudEvent.Data),
        };
        if (cloudEvent.Subject is not null)
        {
            fields.Add(new("subject", cloudEvent.Subject));
        }

        if (cloudEvent.TraceParent is not null)
        {
            fields.Add(new("traceparent", cloudEvent.TraceParent));
        }

        if (cloudEvent.TraceState is not null)
        {
            fields.Add(new("tracestate", cloudEvent.TraceState));
        }

        return [.. fields];
    }

    public static CloudEvent Decode(string topic, NameValueEntry[] fields)
    {
        var map = new Dictionary<string, RedisValue>(fields.Length, StringComparer.Ordinal);
        foreach (var field in fields)
        {
            map[(string)field.Name!] = field.Value;
        }

        string Required(string name) => map.TryGetValue(name, out var value) && !value.IsNull
            ? (string)value!
            : throw new FormatException($"Stream entry of {topic} has no '{name}' field.");
        string? Optional(string name) => map.TryGetValue(name, out var value) && !value.IsNull ? (string?)value : null;

        return new CloudEvent(Required("id"), Required("source"), Required("type"), topic, map.TryGetValue("data", out var data) ? (byte[]?)data ?? [] : [])
        {
            DataContentType = Required("datacontenttype"),
            Time = DateTimeOffset.ParseExact(Required("time"), "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            Subject = Optional("subject"),
            TraceParent = Optional("traceparent"),
            TraceState = Optional("tracestate"),
        };
    }
}
