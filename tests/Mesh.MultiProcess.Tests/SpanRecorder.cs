using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mesh.Testing;

namespace Mesh.MultiProcess.Tests;

/// <summary>
/// The collection the in-memory exporter writes finished spans into: thread-safe (hosts export from
/// their own threads), and pulsing <see cref="Changed"/> on every span so tests wait on conditions.
/// </summary>
public sealed class SpanRecorder : ICollection<Activity>
{
    private readonly List<Activity> spans = [];
    private readonly Lock gate = new();

    public ChangeSignal Changed { get; } = new();

    public int Count
    {
        get
        {
            lock (gate)
            {
                return spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    /// <summary>A copy of the spans exported so far.</summary>
    public IReadOnlyList<Activity> Snapshot()
    {
        lock (gate)
        {
            return [.. spans];
        }
    }

    public void Add(Activity item)
    {
        lock (gate)
        {
            spans.Add(item);
        }

        Changed.Pulse();
    }

    public void Clear()
    {
        lock (gate)
        {
            spans.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (gate)
        {
            return spans.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (gate)
        {
            spans.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (gate)
        {
            return spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One line per span (trace, span, parent, kind, source, name, path, port), for failure messages.</summary>
    public static string Describe(IEnumerable<Activity> spans)
    {
        var text = new StringBuilder();
        foreach (var s in spans.OrderBy(s => s.StartTimeUtc))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {s.TraceId} {s.SpanId} <- {s.ParentSpanId} {s.Kind,-8} {s.Source.Name,-32} {s.DisplayName} {s.GetTagItem("url.path")} :{s.GetTagItem("server.port")}");
        }

        return text.ToString();
    }
}
