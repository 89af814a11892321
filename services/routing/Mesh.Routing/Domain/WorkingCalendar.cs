namespace Mesh.Routing.Domain;

/// <summary>
/// Working days and hours of Vietnamese state agencies, on which NĐ 30/2020 and QĐ 28/2018 count
/// their deadlines: weekends and public holidays are not working days; times are local
/// (Asia/Ho_Chi_Minh by default).
/// </summary>
public sealed class WorkingCalendar(
    TimeZoneInfo zone,
    IReadOnlySet<DayOfWeek> weekend,
    IReadOnlySet<DateOnly> holidays,
    TimeOnly workdayStart,
    TimeOnly workdayEnd,
    TimeOnly nextMorningCutoff)
{
    /// <summary>Builds the calendar from options.</summary>
    public static WorkingCalendar From(WorkingCalendarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new WorkingCalendar(
            TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone),
            options.WeekendDays.ToHashSet(),
            options.Holidays.ToHashSet(),
            options.WorkdayStart,
            options.WorkdayEnd,
            options.NextMorningCutoff);
    }

    /// <summary>The calendar's time zone.</summary>
    public TimeZoneInfo Zone => zone;

    /// <summary>Whether <paramref name="day"/> is a working day.</summary>
    public bool IsWorkingDay(DateOnly day) => !weekend.Contains(day.DayOfWeek) && !holidays.Contains(day);

    /// <summary>The first working day strictly after <paramref name="day"/>.</summary>
    public DateOnly NextWorkingDay(DateOnly day)
    {
        var next = day.AddDays(1);
        // Bounded: options validation guarantees at least one working weekday; 400 days covers any holiday list.
        for (var i = 0; i < 400 && !IsWorkingDay(next); i++)
        {
            next = next.AddDays(1);
        }

        return next;
    }

    /// <summary>The local calendar day of an instant.</summary>
    public DateOnly LocalDay(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>The instant of a local day and time.</summary>
    public DateTimeOffset At(DateOnly day, TimeOnly time)
    {
        var local = day.ToDateTime(time, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>
    /// The latest acceptable send time of a document signed on <paramref name="signingDay"/>:
    /// "sent on the day it is signed or in the morning of the next working day" (QĐ 28/2018;
    /// NĐ 30 Art. 18.1 "issued the day signed, at the latest the next working day").
    /// </summary>
    public DateTimeOffset SendDeadline(DateOnly signingDay) => At(NextWorkingDay(signingDay), nextMorningCutoff);

    /// <summary>
    /// When a delivery made at <paramref name="deliveredAt"/> must be acknowledged: the end of that
    /// working day, or of the next working day when it arrived after hours or on a day off
    /// (NĐ 30 Art. 21.2: the receiver notifies the sender the same day).
    /// </summary>
    public DateTimeOffset AcknowledgeBy(DateTimeOffset deliveredAt)
    {
        var local = TimeZoneInfo.ConvertTime(deliveredAt, zone);
        var day = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        if (IsWorkingDay(day) && time < workdayEnd)
        {
            return At(day, workdayEnd);
        }

        return At(NextWorkingDay(day), workdayEnd);
    }

    /// <summary>Start of working hours on <paramref name="day"/>.</summary>
    public DateTimeOffset StartOf(DateOnly day) => At(day, workdayStart);
}
