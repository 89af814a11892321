using System.Globalization;
using System.Text;
using System.Text.Json;
using Mesh.Events;

namespace Mesh.Backends.Dapr;

/// <summary>
/// CloudEvents 1.0 structured JSON (<c>application/cloudevents+json</c>), the form Dapr accepts from a
/// publisher as-is and posts to subscribers. Mesh always writes <c>data_base64</c> so any payload survives;
/// it reads <c>data</c> too, as Dapr delivers events other publishers sent.
/// </summary>
internal static class CloudEventJson
{
    public const string MediaType = "application/cloudevents+json";

    public static byte[] Encode(CloudEvent cloudEvent)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("specversion", "1.0");
            writer.WriteString("id", cloudEvent.Id);
            writer.WriteString("source", cloudEvent.Source);
            writer.WriteString("type", cloudEvent.Type);
            writer.WriteString("datacontenttype", cloudEvent.DataContentType);
            // RFC 3339 with the publisher's offset and all seven fractional digits.
            writer.WriteString("time", cloudEvent.Time.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture));
            if (cloudEvent.Subject is not null)
            {
                writer.WriteString("subject", cloudEvent.Subject);
            }

            if (cloudEvent.TraceParent is not null)
            {
                writer.WriteString("traceparent", cloudEvent.TraceParent);
            }

            if (cloudEvent.TraceState is not null)
            {
                writer.WriteString("tracestate", cloudEvent.TraceState);
            }

            writer.WriteBase64String("data_base64", cloudEvent.Data.Span);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a structured CloudEvent; <paramref name="topic"/> is the topic it was delivered on.</summary>
    /// <exception cref="FormatException">Not a CloudEvent Mesh can read.</exception>
    public static CloudEvent Decode(ReadOnlySpan<byte> json, string topic)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            string Required(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw new FormatException($"The CloudEvent has no '{name}' attribute.");
            string? Optional(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

            var contentType = Optional("datacontenttype") ?? "application/json";
            byte[] data;
            if (root.TryGetProperty("data_base64", out var base64) && base64.ValueKind == JsonValueKind.String)
            {
                data = base64.GetBytesFromBase64();
            }
            else if (root.TryGetProperty("data", out var inline) && inline.ValueKind != JsonValueKind.Null)
            {
                // JSON data is the JSON itself; any other media type arrives as a JSON string holding the text.
                data = inline.ValueKind == JsonValueKind.String && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase)
                    ? Encoding.UTF8.GetBytes(inline.GetString()!)
                    : Encoding.UTF8.GetBytes(inline.GetRawText());
            }
            else
            {
                data = [];
            }

            var time = Optional("time") is { } text
                ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
                : DateTimeOffset.UnixEpoch;
            return new CloudEvent(Required("id"), Required("source"), Required("type"), topic, data)
            {
                DataContentType = contentType,
                Time = time,
                Subject = Optional("subject"),
                TraceParent = Optional("traceparent"),
                TraceState = Optional("tracestate"),
            };
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            throw new FormatException("The body is not a CloudEvent in structured JSON.", exception);
        }
    }
}
