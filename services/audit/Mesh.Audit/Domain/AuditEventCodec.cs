using System.Buffers.Binary;
using System.Text;
using Mesh.Errors;

namespace Mesh.Audit.Domain;

/// <summary>
/// The canonical bytes of an audit event — the leaf data of the log. One encoding per event, so
/// that anyone can recompute a leaf hash from the event fields:
/// <code>
/// "MA" 0x01                         magic and version
/// str   type                        str = uint16 BE byte length ‖ UTF-8
/// int64 time                        BE, microseconds since 1970-01-01T00:00:00Z
/// str   actor OrganId               (empty: the hub)
/// str   document id
/// str   business document id
/// u16   n, n × str counterparts     ordinal order, no duplicates
/// u16   n, n × 32 bytes digests     SHA-256, in the given order
/// str   outcome                     "OK" or the reason
/// str   detail
/// str   trace id                    (32 lowercase hex or empty)
/// </code>
/// Decoding rejects anything that would not re-encode to the same bytes.
/// </summary>
public static class AuditEventCodec
{
    private static readonly byte[] Magic = [(byte)'M', (byte)'A', 0x01];
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static byte[] Encode(AuditEvent e)
    {
        AuditEventRules.Validate(e);
        var counterparts = e.Counterparts.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var buffer = new List<byte>(256);
        buffer.AddRange(Magic);
        WriteString(buffer, e.Type);
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, ToMicros(e.Time));
        buffer.AddRange(time);
        WriteString(buffer, e.Actor);
        WriteString(buffer, e.DocumentId);
        WriteString(buffer, e.BusinessDocumentId);
        WriteUInt16(buffer, counterparts.Length);
        foreach (var c in counterparts)
        {
            WriteString(buffer, c);
        }

        WriteUInt16(buffer, e.Digests.Count);
        foreach (var d in e.Digests)
        {
            buffer.AddRange(Convert.FromHexString(d));
        }

        WriteString(buffer, e.Outcome);
        WriteString(buffer, e.Detail);
        WriteString(buffer, e.TraceId);
        if (buffer.Count > AuditEventRules.MaxEntryBytes)
        {
            throw MeshException.Invalid("AUDIT_EVENT_TOO_LARGE", "event", $"the canonical form is {buffer.Count} bytes; at most {AuditEventRules.MaxEntryBytes}");
        }

        return [.. buffer];
    }

    public static AuditEvent Decode(ReadOnlySpan<byte> data)
    {
        var reader = new Reader(data);
        if (!reader.Take(Magic.Length).SequenceEqual(Magic))
        {
            throw new FormatException("Not a version 1 Mesh audit event.");
        }

        var type = reader.String();
        var time = DateTimeOffset.UnixEpoch.AddTicks(checked(reader.Int64() * 10));
        var actor = reader.String();
        var documentId = reader.String();
        var businessDocumentId = reader.String();
        var counterparts = new string[reader.UInt16()];
        for (var i = 0; i < counterparts.Length; i++)
        {
            counterparts[i] = reader.String();
            if (i > 0 && string.CompareOrdinal(counterparts[i - 1], counterparts[i]) >= 0)
            {
                throw new FormatException("Counterparts are not in canonical order.");
            }
        }

        var digests = new string[reader.UInt16()];
        for (var i = 0; i < digests.Length; i++)
        {
            digests[i] = Convert.ToHexStringLower(reader.Take(32));
        }

        var e = new AuditEvent
        {
            Type = type,
            Time = time,
            Actor = actor,
            DocumentId = documentId,
            BusinessDocumentId = businessDocumentId,
            Counterparts = counterparts,
            Digests = digests,
            Outcome = reader.String(),
            Detail = reader.String(),
            TraceId = reader.String(),
        };
        if (!reader.AtEnd)
        {
            throw new FormatException("Trailing bytes after the audit event.");
        }

        try
        {
            AuditEventRules.Validate(e);
        }
        catch (MeshException ex)
        {
            throw new FormatException($"The stored event breaks the event rules: {ex.Message}", ex);
        }

        return e;
    }
    private static long ToMicros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static void WriteUInt16(List<byte> buffer, int value)
    {
        buffer.Add((byte)(value >> 8));
        buffer.Add((byte)value);
    }

    private static void WriteString(List<byte> buffer, string value) => WriteBytes(buffer, Encoding.UTF8.GetBytes(value));

    private static void WriteBytes(List<byte> buffer, byte[] value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw MeshException.Invalid("AUDIT_EVENT_TOO_LARGE", "event", "a field is longer than 65535 bytes");
        }

        WriteUInt16(buffer, value.Length);
        buffer.AddRange(value);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool AtEnd => _rest.IsEmpty;

        public ReadOnlySpan<byte> Take(int count)
        {
            if (_rest.Length < count)
            {
                throw new FormatException("The audit event is truncated.");
            }

            var taken = _rest[..count];
            _rest = _rest[count..];
            return taken;
        }

        public byte Byte() => Take(1)[0];

        public int UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public string String()
        {
            try
            {
                return StrictUtf8.GetString(Take(UInt16()));
            }
            catch (DecoderFallbackException ex)
            {
                throw new FormatException("A string is not valid UTF-8.", ex);
            }
        }
    }
}
