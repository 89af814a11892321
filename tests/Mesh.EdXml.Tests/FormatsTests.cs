using FluentAssertions;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Common.V1;
using Xunit;

namespace Mesh.EdXml.Tests;

public sealed class FormatsTests
{
    [Theory]
    [InlineData("2018/09/28", 2018, 9, 28)]
    [InlineData("2024/02/29", 2024, 2, 29)]
    public void ParseDate_ValidDate_Parsed(string text, int y, int m, int d)
    {
        var date = EdXmlFormats.ParseDate(text);

        date.Should().Be(new Date { Year = y, Month = m, Day = d });
        EdXmlFormats.FormatDate(date!).Should().Be(text);
    }

    [Theory]
    [InlineData("2014/02/30")]
    [InlineData("2018-09-28")]
    [InlineData("28/09/2018")]
    [InlineData("")]
    public void ParseDate_NotADate_Null(string text)
    {
        var date = EdXmlFormats.ParseDate(text);

        date.Should().BeNull();
    }

    [Fact]
    public void ParseTimestamp_VietnamLocalTime_ConvertedToUtc()
    {
        var ts = EdXmlFormats.ParseTimestamp("2018/09/28 17:25:11");

        ts.Should().Be(Timestamp.FromDateTime(new DateTime(2018, 9, 28, 10, 25, 11, DateTimeKind.Utc)));
        EdXmlFormats.FormatTimestamp(ts!).Should().Be("2018/09/28 17:25:11");
    }

    [Fact]
    public void FormatTimestamp_FractionOfSecond_Dropped()
    {
        var ts = Timestamp.FromDateTime(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(999));

        var text = EdXmlFormats.FormatTimestamp(ts);

        text.Should().Be("2026/01/01 07:00:00");
    }

    [Fact]
    public void VietnamTimeZone_Always_UtcPlusSevenWithoutDaylightSaving()
    {
        var zone = EdXmlFormats.VietnamTimeZone;

        zone.GetUtcOffset(new DateTime(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc)).Should().Be(TimeSpan.FromHours(7));
        zone.GetUtcOffset(new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc)).Should().Be(TimeSpan.FromHours(7));
    }
}
