using Mesh.Audit.Domain;
using Mesh.Audit.Infrastructure;
using Mesh.Auditing;
using Mesh.Errors;

namespace Mesh.Audit.Tests;

public sealed class QueryAndStatisticsTests
{
    private static readonly DateTimeOffset Day1 = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Day2 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
    private const string Vpcp = "000.00.00.G22";
    private const string QuangNinh = "000.00.00.H49";
    private const string TaiChinh = "000.00.00.G12";

    private static async Task<AuditHarness> SeededAsync()
    {
        var harness = new AuditHarness();
        var s = await harness.StartSequencerAsync();
        await s.AppendAsync(AuditHarness.Event(1, AuditEventTypes.DocumentAccepted, Vpcp, "doc/A", Day1));
        await s.AppendAsync(AuditHarness.Event(2, AuditEventTypes.DeliveryCreated, "", "doc/A", Day1.AddHours(1)) with { Counterparts = [QuangNinh] });
        await s.AppendAsync(AuditHarness.Event(3, AuditEventTypes.DocumentAccepted, Vpcp, "doc/B", Day2));
        await s.AppendAsync(AuditHarness.Event(4, AuditEventTypes.DocumentRefused, TaiChinh, "doc/C", Day2.AddMinutes(5)) with { Outcome = "SIGNATURE_INVALID", Counterparts = [] });
        await s.AppendAsync(AuditHarness.Event(5, AuditEventTypes.DocumentRefused, TaiChinh, "doc/D", Day2.AddMinutes(6)) with { Outcome = "SIGNATURE_INVALID", Counterparts = [] });
        await s.AppendAsync(AuditHarness.Event(6, AuditEventTypes.DocumentRefused, TaiChinh, "doc/E", Day2.AddMinutes(7)) with { Outcome = "RECIPIENT_UNKNOWN", Counterparts = [] });
        await s.AppendAsync(AuditHarness.Event(7, AuditEventTypes.DeadlineFlagged, "", "doc/B", Day2.AddHours(5)) with { Detail = "overdue: not confirmed the same day" });
        await s.AppendAsync(AuditHarness.Event(8, AuditEventTypes.DeadlineFlagged, Vpcp, "doc/B", Day2.AddHours(6)) with { Detail = "late" });
        return harness;
    }

    [Fact]
    public async Task QueryAsync_ByDocument_ReturnsItsEventsInLogOrder()
    {
        await using var harness = await SeededAsync();

        var page = await harness.Reader.QueryAsync(new AuditQuery { DocumentId = "doc/A" }, 10, null);

        page.Entries.Select(e => e.Index).Should().Equal(0, 1);
        page.NextPageToken.Should().BeNull();
    }

    [Fact]
    public async Task QueryAsync_DocumentIdWithSlash_DoesNotLeakIntoOtherDocuments()
    {
        await using var harness = new AuditHarness();
        var s = await harness.StartSequencerAsync();
        await s.AppendAsync(AuditHarness.Event(1, documentId: "x"));
        await s.AppendAsync(AuditHarness.Event(2, documentId: "x/1"));

        var page = await harness.Reader.QueryAsync(new AuditQuery { DocumentId = "x" }, 10, null);

        page.Entries.Should().ContainSingle().Which.Index.Should().Be(0);
    }

    [Fact]
    public async Task QueryAsync_ByAgency_IncludesEventsWhereItIsCounterparty()
    {
        await using var harness = await SeededAsync();

        var page = await harness.Reader.QueryAsync(new AuditQuery { Agency = QuangNinh }, 10, null);

        page.Entries.Select(e => e.Index).Should().Equal(0, 1, 2, 6, 7);
    }

    [Fact]
    public async Task QueryAsync_ByTypeAndAgency_FiltersBoth()
    {
        await using var harness = await SeededAsync();

        var page = await harness.Reader.QueryAsync(new AuditQuery { Agency = Vpcp, Type = AuditEventTypes.DocumentAccepted }, 10, null);

        page.Entries.Select(e => e.Event.DocumentId).Should().Equal("doc/A", "doc/B");
    }

    [Fact]
    public async Task QueryAsync_ByTimeRange_ReturnsOnlyEventsInside()
    {
        await using var harness = await SeededAsync();

        var page = await harness.Reader.QueryAsync(new AuditQuery { From = Day1.AddMinutes(30), To = Day2.AddMinutes(6) }, 10, null);

        page.Entries.Select(e => e.Index).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task QueryAsync_Paged_ReturnsEveryMatchOnce()
    {
        await using var harness = await SeededAsync();
        var seen = new List<long>();
        string? token = null;

        do
        {
            var page = await harness.Reader.QueryAsync(new AuditQuery { Type = AuditEventTypes.DocumentRefused }, 2, token);
            seen.AddRange(page.Entries.Select(e => e.Index));
            token = page.NextPageToken;
        }
        while (token is not null);

        seen.Should().Equal(3, 4, 5);
    }

    [Theory]
    [InlineData("document")]
    [InlineData("agency")]
    [InlineData("type")]
    [InlineData("time")]
    public async Task QueryAsync_PagedAcrossManyBatches_ReturnsEveryMatchOnceInLogOrder(string criterion)
    {
        await using var harness = new AuditHarness(maxBatchSize: 32);
        var s = await harness.StartSequencerAsync();
        var agencies = new[] { Vpcp, QuangNinh, TaiChinh };
        var types = new[] { AuditEventTypes.DocumentAccepted, AuditEventTypes.DeliveryCreated, AuditEventTypes.StatusReported };
        await Task.WhenAll(Enumerable.Range(0, 600).Select(i => Task.Run(() => s.AppendAsync(
            AuditHarness.Event(i, types[i % 3], agencies[i % 3], $"doc/{i % 7}", Day1.AddMinutes(i * 7)) with { Counterparts = [agencies[(i + 1) % 3]] }))));
        var all = await harness.Reader.GetEntriesAsync(0, 600);
        var (query, wanted) = criterion switch
        {
            "document" => (new AuditQuery { DocumentId = "doc/3" }, all.Where(e => e.Event.DocumentId == "doc/3")),
            "agency" => (new AuditQuery { Agency = TaiChinh }, all.Where(e => e.Event.Agencies.Contains(TaiChinh))),
            "type" => (new AuditQuery { Type = AuditEventTypes.DeliveryCreated }, all.Where(e => e.Event.Type == AuditEventTypes.DeliveryCreated)),
            _ => (new AuditQuery { From = Day1.AddHours(20), To = Day1.AddHours(50) }, all.Where(e => e.Event.Time >= Day1.AddHours(20) && e.Event.Time < Day1.AddHours(50))),
        };
        var seen = new List<long>();
        string? token = null;

        do
        {
            var page = await harness.Reader.QueryAsync(query, 7, token);
            seen.AddRange(page.Entries.Select(e => e.Index));
            token = page.NextPageToken;
        }
        while (token is not null);

        // A time range is served from the day index: by Hanoi day, then log order.
        seen.Should().Equal(wanted.OrderBy(e => criterion == "time" ? e.Event.Day : DateOnly.MinValue).ThenBy(e => e.Index).Select(e => e.Index));
        seen.Should().NotBeEmpty();
    }

    [Fact]
    public async Task QueryAsync_NoCriteria_IsInvalidArgument()
    {
        await using var harness = await SeededAsync();

        var act = () => harness.Reader.QueryAsync(new AuditQuery(), 10, null);

        await act.Should().ThrowAsync<MeshException>().Where(e => e.Reason == "AUDIT_QUERY_EMPTY");
    }

    [Fact]
    public async Task GetStatisticsAsync_PerAgencyPerDay_CountsSentReceivedRefusedLateOverdue()
    {
        await using var harness = await SeededAsync();
        var d1 = new DateOnly(2026, 11, 29);
        var d2 = new DateOnly(2026, 11, 30);

        var all = await harness.Reader.GetStatisticsAsync(null, d1, d2);
        var vpcp = await harness.Reader.GetStatisticsAsync(Vpcp, d1, d2);
        var firstDay = await harness.Reader.GetStatisticsAsync(null, d1, d1);
        var month = await harness.Reader.GetStatisticsAsync(Vpcp, d1, d2, monthly: true);

        all.Totals.Sent.Should().Be(2);
        all.Totals.Received.Should().Be(1);
        all.Totals.Refused.Should().Be(3);
        all.Totals.RefusedByReason.Should().Equal(new Dictionary<string, long> { ["RECIPIENT_UNKNOWN"] = 1, ["SIGNATURE_INVALID"] = 2 });
        all.Totals.Late.Should().Be(1);
        all.Totals.Overdue.Should().Be(1);
        all.AgenciesConnected.Should().Be(2, "only VPCP sent and Quang Ninh received");
        all.AgenciesSeen.Should().Be(3);
        vpcp.Rows.Select(r => (r.Day, r.Counters.Sent, r.Counters.Late)).Should().Equal((d1, 1L, 0L), (d2, 1L, 1L));
        firstDay.Rows.Select(r => r.OrganId).Should().BeEquivalentTo([Vpcp, QuangNinh]);
        month.Rows.Should().ContainSingle().Which.Counters.Sent.Should().Be(2);
    }
}
