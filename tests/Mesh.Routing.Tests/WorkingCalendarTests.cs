using Mesh.Routing;
using Mesh.Routing.Domain;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Routing.Tests;

public sealed class WorkingCalendarTests
{
    // 2026-09-02 (Wednesday) is National Day; 2026-09-01 is a Tuesday.
    private static readonly WorkingCalendar Calendar = WorkingCalendar.From(new WorkingCalendarOptions { Holidays = [new DateOnly(2026, 9, 2)] });
    private static readonly DeadlineRules Rules = new(Calendar, TimeSpan.FromHours(2));

    private static DateTimeOffset Local(int year, int month, int day, int hour, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.FromHours(7));

    [Fact]
    public void NextWorkingDay_Friday_IsMonday()
    {
        var friday = new DateOnly(2026, 11, 27);

        var next = Calendar.NextWorkingDay(friday);

        next.Should().Be(new DateOnly(2026, 11, 30));
    }

    [Fact]
    public void NextWorkingDay_BeforeHoliday_SkipsHoliday()
    {
        var tuesday = new DateOnly(2026, 9, 1);

        var next = Calendar.NextWorkingDay(tuesday);

        next.Should().Be(new DateOnly(2026, 9, 3));
    }

    [Fact]
    public void IsLateSend_SignedFridaySentMondayMorning_NotLate()
    {
        var time = new FakeTimeProvider(Local(2026, 11, 30, 11, 59));

        var late = Rules.IsLateSend(new DateOnly(2026, 11, 27), Urgency.Normal, null, time.GetUtcNow());

        late.Should().BeFalse();
    }

    [Fact]
    public void IsLateSend_SignedFridaySentMondayAfternoon_Late()
    {
        var time = new FakeTimeProvider(Local(2026, 11, 30, 12, 1));

        var late = Rules.IsLateSend(new DateOnly(2026, 11, 27), Urgency.Normal, null, time.GetUtcNow());

        late.Should().BeTrue();
    }

    [Fact]
    public void IsLateSend_SignedBeforeHolidaySentDayAfterHolidayMorning_NotLate()
    {
        var time = new FakeTimeProvider(Local(2026, 9, 3, 9, 0));

        var late = Rules.IsLateSend(new DateOnly(2026, 9, 1), Urgency.Normal, null, time.GetUtcNow());

        late.Should().BeFalse();
    }

    [Fact]
    public void IsLateSend_SignedBeforeHolidaySentOnHoliday_NotLate()
    {
        var time = new FakeTimeProvider(Local(2026, 9, 2, 15, 0));

        var late = Rules.IsLateSend(new DateOnly(2026, 9, 1), Urgency.Normal, null, time.GetUtcNow());

        late.Should().BeFalse();
    }

    [Fact]
    public void IsLateSend_UrgentSentWithinAllowance_NotLate()
    {
        var signed = Local(2026, 11, 30, 9, 0);
        var time = new FakeTimeProvider(signed);
        time.Advance(TimeSpan.FromMinutes(119));

        var late = Rules.IsLateSend(new DateOnly(2026, 11, 30), Urgency.Flash, signed, time.GetUtcNow());

        late.Should().BeFalse();
    }

    [Fact]
    public void IsLateSend_UrgentSentAfterAllowance_Late()
    {
        var signed = Local(2026, 11, 30, 9, 0);
        var time = new FakeTimeProvider(signed);
        time.Advance(TimeSpan.FromMinutes(121));

        var late = Rules.IsLateSend(new DateOnly(2026, 11, 30), Urgency.Urgent, signed, time.GetUtcNow());

        late.Should().BeTrue();
    }

    [Fact]
    public void IsLateSend_NormalSentSameDayAfterHours_NotLate()
    {
        var time = new FakeTimeProvider(Local(2026, 11, 30, 21, 0));

        var late = Rules.IsLateSend(new DateOnly(2026, 11, 30), Urgency.Normal, null, time.GetUtcNow());

        late.Should().BeFalse();
    }

    [Fact]
    public void AcknowledgeBy_DeliveredDuringWorkingHours_EndOfThatDay()
    {
        var delivered = Local(2026, 11, 30, 10, 0);

        var due = Calendar.AcknowledgeBy(delivered);

        due.Should().Be(Local(2026, 11, 30, 17, 0));
    }

    [Fact]
    public void AcknowledgeBy_DeliveredFridayEvening_EndOfMonday()
    {
        var delivered = Local(2026, 11, 27, 18, 30);

        var due = Calendar.AcknowledgeBy(delivered);

        due.Should().Be(Local(2026, 11, 30, 17, 0));
    }

    [Fact]
    public void AcknowledgeBy_DeliveredOnHoliday_EndOfNextWorkingDay()
    {
        var delivered = Local(2026, 9, 2, 9, 0);

        var due = Calendar.AcknowledgeBy(delivered);

        due.Should().Be(Local(2026, 9, 3, 17, 0));
    }

    [Fact]
    public void Problem_CutoffOutsideWorkingHours_Reported()
    {
        var options = new RoutingOptions { Calendar = new WorkingCalendarOptions { NextMorningCutoff = new TimeOnly(6, 0) } };

        var problem = options.Problem();

        problem.Should().Contain("NextMorningCutoff");
    }
}
