using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Routing;

/// <summary>Every telemetry name of the routing service (Meter and ActivitySource "Mesh.Routing").</summary>
public static class RoutingTelemetry
{
    /// <summary>Meter and activity source name.</summary>
    public const string Name = "Mesh.Routing";

    internal static readonly ActivitySource ActivitySource = new(Name);
    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> DocumentsAccepted = Meter.CreateCounter<long>("mesh.routing.documents.accepted", "{document}", "Documents accepted.");
    internal static readonly Counter<long> DocumentsRefused = Meter.CreateCounter<long>("mesh.routing.documents.refused", "{document}", "Sends refused, by reason.");
    internal static readonly Counter<long> DocumentsLate = Meter.CreateCounter<long>("mesh.routing.documents.late", "{document}", "Documents sent late (QĐ 28, NĐ 30 Art. 18.1).");
    internal static readonly Counter<long> DeliveriesOverdue = Meter.CreateCounter<long>("mesh.routing.deliveries.overdue", "{delivery}", "Deliveries not acknowledged by the end of the working day (NĐ 30 Art. 21.2).");
    internal static readonly Counter<long> StatusesReported = Meter.CreateCounter<long>("mesh.routing.statuses.reported", "{status}", "Business statuses recorded, by code.");
    internal static readonly Counter<long> UploadsInterrupted = Meter.CreateCounter<long>("mesh.routing.uploads.interrupted", "{send}", "Sends whose stream broke during the attachments, recorded for a resume.");
    internal static readonly Counter<long> UploadBytesResumed = Meter.CreateCounter<long>("mesh.routing.uploads.resumed_bytes", "By", "Attachment bytes a resumed send did not have to send again.");
    internal static readonly Counter<long> StatusesRefused = Meter.CreateCounter<long>("mesh.routing.statuses.refused", "{status}", "Status reports refused, by reason.");
    internal static readonly Histogram<double> SendDuration = Meter.CreateHistogram<double>(
        "mesh.routing.send.duration",
        "s",
        "Time from the first message of a send to its receipt.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary>Where an accepted send spends its time, by stage (tag <c>stage</c>): see <see cref="SendStage"/>.</summary>
    internal static readonly Histogram<double> SendStageDuration = Meter.CreateHistogram<double>(
        "mesh.routing.send.stage.duration",
        "s",
        "Time an accepted send spent in each stage: manifest_signature, checks, attachments, pdf_signatures, commit, receipt (audit, hub signature, events).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
}

/// <summary>Times the stages of one send into <see cref="RoutingTelemetry.SendStageDuration"/>.</summary>
internal struct SendStage
{
    private long last;

    /// <summary>Starts timing the first stage.</summary>
    public static SendStage Start() => new() { last = Stopwatch.GetTimestamp() };

    /// <summary>Ends the current stage under <paramref name="stage"/> and starts the next.</summary>
    public void End(string stage)
    {
        var now = Stopwatch.GetTimestamp();
        if (RoutingTelemetry.SendStageDuration.Enabled)
        {
            RoutingTelemetry.SendStageDuration.Record(Stopwatch.GetElapsedTime(last, now).TotalSeconds, new KeyValuePair<string, object?>("stage", stage));
        }

        last = now;
    }
}
