using System.ComponentModel.DataAnnotations;

namespace Mesh.Routing;

/// <summary>How strictly the main document's PDF signatures are checked (TT 41/2017, NĐ 30 Art. 5).</summary>
public enum PdfSignaturePolicy
{
    /// <summary>At least one signature, every one valid; otherwise the send is refused (default).</summary>
    Required = 1,
    /// <summary>Checked and logged, never refused (migration period).</summary>
    Reported = 2,
    /// <summary>Not checked.</summary>
    Off = 3,
    /// <summary>
    /// NĐ 30/2020 Art. 5, 13.7, 17.2 to the letter: every signature valid, at least one by the sending
    /// agency's document-signing certificate (bound to it in the registry) and at least one by another
    /// certificate, the competent person's.
    /// </summary>
    PersonAndAgency = 4,
}

/// <summary>The working calendar deadlines are computed on (NĐ 30 Art. 18.1, 21.2; QĐ 28/2018).</summary>
public sealed class WorkingCalendarOptions
{
    /// <summary>IANA time zone of working days (default Asia/Ho_Chi_Minh).</summary>
    [Required]
    public string TimeZone { get; set; } = "Asia/Ho_Chi_Minh";

    /// <summary>Days off every week.</summary>
    public IList<DayOfWeek> WeekendDays { get; set; } = [DayOfWeek.Saturday, DayOfWeek.Sunday];

    /// <summary>Public holidays and compensatory days off, yyyy-MM-dd.</summary>
    public IList<DateOnly> Holidays { get; set; } = [];

    /// <summary>Start of the working day.</summary>
    public TimeOnly WorkdayStart { get; set; } = new(7, 30);

    /// <summary>End of the working day: deliveries are due by then (NĐ 30 Art. 21.2).</summary>
    public TimeOnly WorkdayEnd { get; set; } = new(17, 0);

    /// <summary>End of the "next working morning" in which a document signed the day before may still be sent (QĐ 28, NĐ 30 Art. 18.1).</summary>
    public TimeOnly NextMorningCutoff { get; set; } = new(12, 0);
}

/// <summary>Routing settings, bound from <c>Mesh:Routing</c>.</summary>
public sealed class RoutingOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Mesh:Routing";

    /// <summary>Most attachments in one package (main document included).</summary>
    [Range(1, 10_000)]
    public int MaxAttachments { get; set; } = 100;

    /// <summary>Largest single attachment, bytes.</summary>
    [Range(1, long.MaxValue)]
    public long MaxAttachmentSize { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Largest package (sum of attachments), bytes.</summary>
    [Range(1, long.MaxValue)]
    public long MaxTotalSize { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>
    /// Largest main document whose PDF signatures are verified; it is held in memory for that, so
    /// this bounds the memory of one send.
    /// </summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int MaxMainDocumentSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>PDF signature strictness (default Required; PersonAndAgency for NĐ 30's two signatures).</summary>
    [EnumDataType(typeof(PdfSignaturePolicy))]
    public PdfSignaturePolicy PdfSignatures { get; set; } = PdfSignaturePolicy.Required;

    /// <summary>The working calendar.</summary>
    [Required]
    public WorkingCalendarOptions Calendar { get; set; } = new();

    /// <summary>How long after signing an urgent document (Khẩn, Thượng khẩn, Hỏa tốc) may be sent before it is late.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan UrgentAllowance { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Heartbeat period of WatchInbox.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan WatchHeartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a watch re-reads the stored inbox to see items written by other processes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan WatchRescan { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often overdue deliveries are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan DeadlineScanInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the bytes of an interrupted send stay staged for a resume; then they are deleted.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan UploadStagingTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the records of interrupted sends past their staging time are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan UploadSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often accepted documents whose receipt and events were not stored (the process stopped
    /// between answering the sender and writing them) are completed; also done once at start.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ReceiptSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A document accepted this long ago whose receipt is still not stored is completed by the
    /// sweep (younger ones may still be being finished by the process, or the replica, that accepted them).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ReceiptSweepAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Validates what data annotations cannot; null when fine.</summary>
    public string? Problem()
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(Calendar.TimeZone, out _))
        {
            return $"Mesh:Routing:Calendar:TimeZone '{Calendar.TimeZone}' is not a known time zone.";
        }

        if (Calendar.WorkdayEnd <= Calendar.WorkdayStart)
        {
            return "Mesh:Routing:Calendar:WorkdayEnd must be after WorkdayStart.";
        }

        if (Calendar.NextMorningCutoff < Calendar.WorkdayStart || Calendar.NextMorningCutoff > Calendar.WorkdayEnd)
        {
            return "Mesh:Routing:Calendar:NextMorningCutoff must lie within working hours.";
        }

        if (Calendar.WeekendDays.Distinct().Count() >= 7)
        {
            return "Mesh:Routing:Calendar:WeekendDays leaves no working day.";
        }

        return MaxAttachmentSize > MaxTotalSize ? "Mesh:Routing:MaxAttachmentSize must not exceed MaxTotalSize." : null;
    }
}
