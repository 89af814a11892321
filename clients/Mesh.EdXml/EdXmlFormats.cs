using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Common.V1;

namespace Mesh.EdXml;

/// <summary>The edXML date and time formats: dates <c>yyyy/MM/dd</c>, timestamps <c>yyyy/MM/dd HH:mm:ss</c> in Vietnam time.</summary>
public static class EdXmlFormats
{
    /// <summary>The QCVN 102 namespace.</summary>
    public const string Namespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016";

    /// <summary>The XML-DSig namespace (a <c>Signature</c> may use it instead of inheriting the edXML one).</summary>
    public const string XmlDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

    /// <summary>Date format (PromulgationDate, DueDate).</summary>
    public const string DateFormat = "yyyy/MM/dd";

    /// <summary>Timestamp format (TraceHeader/Timestamp, status Timestamp), local time of <see cref="VietnamTimeZone"/>.</summary>
    public const string TimestampFormat = "yyyy/MM/dd HH:mm:ss";

    /// <summary>Asia/Ho_Chi_Minh (UTC+7 without daylight saving since 1975); a fixed UTC+7 zone if the system has no tz data.</summary>
    public static TimeZoneInfo VietnamTimeZone { get; } = FindVietnamTimeZone();

    /// <summary>Parses <c>yyyy/MM/dd</c>; null when it is not a real calendar date.</summary>
    /// <param name="text">The text.</param>
    public static Date? ParseDate(string text)
    {
        if (!DateOnly.TryParseExact(text.Trim(), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            return null;
        }
        return new Date { Year = d.Year, Month = d.Month, Day = d.Day };
    }

    /// <summary>Formats a date as <c>yyyy/MM/dd</c>; null when it is not a real calendar date.</summary>
    /// <param name="date">The date.</param>
    public static string? FormatDate(Date date)
    {
        ArgumentNullException.ThrowIfNull(date);
        if (date.Year is < 1 or > 9999 || date.Month is < 1 or > 12 || date.Day < 1 ||
            date.Day > DateTime.DaysInMonth(date.Year, date.Month))
        {
            return null;
        }
        return new DateOnly(date.Year, date.Month, date.Day).ToString(DateFormat, CultureInfo.InvariantCulture);
    }

    /// <summary>Parses <c>yyyy/MM/dd HH:mm:ss</c> in Vietnam time to a UTC timestamp; null when invalid.</summary>
    /// <param name="text">The text.</param>
    public static Timestamp? ParseTimestamp(string text)
    {
        if (!DateTime.TryParseExact(text.Trim(), TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }
        var utc = TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), VietnamTimeZone);
        return Timestamp.FromDateTime(utc);
    }

    /// <summary>Formats a timestamp as <c>yyyy/MM/dd HH:mm:ss</c> in Vietnam time (fractions of a second are dropped).</summary>
    /// <param name="timestamp">The timestamp.</param>
    public static string FormatTimestamp(Timestamp timestamp)
    {
        ArgumentNullException.ThrowIfNull(timestamp);
        var local = TimeZoneInfo.ConvertTimeFromUtc(timestamp.ToDateTime(), VietnamTimeZone);
        return local.ToString(TimestampFormat, CultureInfo.InvariantCulture);
    }

    private static TimeZoneInfo FindVietnamTimeZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh");
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return TimeZoneInfo.CreateCustomTimeZone("Asia/Ho_Chi_Minh", TimeSpan.FromHours(7), "Indochina Time", "ICT");
        }
    }
}
