namespace Mesh.Routing.Domain;

/// <summary>Urgency of a document (NĐ 30 Art. 4.2.c: Hỏa tốc, Thượng khẩn, Khẩn, or normal).</summary>
public enum Urgency
{
    Normal = 0,
    Urgent = 1,
    VeryUrgent = 2,
    Flash = 3,
}

/// <summary>Whether a send is late (QĐ 28/2018; NĐ 30 Art. 18.1).</summary>
public sealed class DeadlineRules(WorkingCalendar calendar, TimeSpan urgentAllowance)
{
    /// <summary>The calendar.</summary>
    public WorkingCalendar Calendar => calendar;

    /// <summary>
    /// A normal document is late when accepted after the signing day's next working morning.
    /// An urgent one must be sent "immediately after signing" (NĐ 30 Art. 18.1, QĐ 28): it is late
    /// when accepted more than the configured allowance after its signing time. When the signing
    /// time is unknown (no PDF signing time) only the promulgation date is known, so the allowance
    /// runs from the end of that day, the earliest instant it can be proven late.
    /// </summary>
    public bool IsLateSend(DateOnly signingDay, Urgency urgency, DateTimeOffset? signingTime, DateTimeOffset acceptedAt)
    {
        if (acceptedAt > calendar.SendDeadline(signingDay))
        {
            return true;
        }

        if (urgency == Urgency.Normal)
        {
            return false;
        }

        var from = signingTime ?? calendar.At(signingDay, new TimeOnly(23, 59, 59));
        return acceptedAt > from + urgentAllowance;
    }

    /// <summary>When a delivery made at <paramref name="deliveredAt"/> becomes overdue (NĐ 30 Art. 21.2).</summary>
    public DateTimeOffset AcknowledgeBy(DateTimeOffset deliveredAt) => calendar.AcknowledgeBy(deliveredAt);
}
