using System.Globalization;
using System.Net;
using System.Text;

namespace GlobalZone.Jepsen.Report;

/// <summary>
/// <c>report.html</c>: one self-contained page (inline SVG, no scripts, no network) with the verdict, what was run,
/// operation counts, the faults, the charts and the checker's explanation.
/// </summary>
internal static class HtmlReport
{
    public static string Render(RunReport report, string latencySvg, string throughputSvg, string? timelineSvg)
    {
        var html = new StringBuilder();
        var color = report.Verdict switch { "valid" => "#2e7d32", "invalid" => "#c62828", _ => "#616161" };
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(E($"GlobalZone jepsen-style run {report.RunId}: {report.Verdict}"))
            .Append("</title>\n<style>body{font-family:sans-serif;margin:24px;color:#263238;max-width:1040px}"
                + "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #cfd8dc;padding:3px 8px;text-align:left;font-size:13px}"
                + "th{background:#eceff1}.verdict{display:inline-block;padding:6px 14px;border-radius:4px;color:white;font-size:20px;font-weight:bold}"
                + "pre{background:#f5f5f5;padding:10px;overflow-x:auto;font-size:12px}h2{margin-top:28px}</style></head><body>\n");
        html.Append("<h1>GlobalZone jepsen-style run</h1>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p><span class=\"verdict\" style=\"background:{color}\">{E(report.Verdict.ToUpperInvariant())}</span> &nbsp; {E(report.Checker.Summary)}</p>\n");
        foreach (var other in report.OtherCheckers)
            html.Append("<p>").Append(E(other.Name)).Append(": ").Append(E(other.Summary)).Append("</p>\n");
        if (report.ExpectedVerdict is { } expected)
        {
            var asExpected = expected == report.Verdict;
            html.Append(CultureInfo.InvariantCulture, $"<p>Scenario <b>{E(report.Scenario ?? "")}</b> expects <b>{E(expected)}</b>: {(asExpected ? "the run behaved as expected." : "<b style=\"color:#c62828\">the run did NOT behave as expected.</b>")}</p>\n");
        }

        html.Append("<h2>Run</h2>\n<table>");
        Row(html, "run", report.RunId);
        Row(html, "scenario", report.Scenario ?? "(none)");
        Row(html, "workload", report.Workload);
        Row(html, "nemesis", report.Nemesis);
        Row(html, "layout", report.Layout);
        Row(html, "clients / target rate", $"{report.Clients} / {report.Rate:0.#} ops/s");
        Row(html, "reads", report.ReadConsistency + (report.ReadsFromIsolatedMember ? " (plain reads go to the member the nemesis isolates)" : ""));
        if (report.LockFencing is { } fencing)
            Row(html, "lock", $"fencing {(fencing ? "on" : "off")}, a holder stalls past its lease every {report.ClientPauseEvery} critical sections");
        if (report.BigValues)
            Row(html, "big values", "background writers put values near the value limit and transactions at the request limit (checked by big-values)");
        if (report.Preload is { } preload)
            Row(html, "preload", $"{preload.Bytes / (1024 * 1024)} MiB in {preload.Keys} keys, loaded in {preload.Seconds:0.0} s ({preload.Retries} retries)");
        Row(html, "time / interval / fault duration", $"{report.TimeSeconds:0.#} s / {report.IntervalSeconds:0.#} s / {report.FaultDurationSeconds:0.#} s");
        Row(html, "operation timeout", $"{report.OperationTimeoutMs:0} ms");
        Row(html, "seed", report.Seed.ToString(CultureInfo.InvariantCulture));
        Row(html, "started", report.StartedAt.ToString("u", CultureInfo.InvariantCulture));
        Row(html, "wall time", $"{report.WallSeconds:0.0} s");
        Row(html, "recovery after healing", report.Recovery.Recovered ? $"every member named one leader after {report.Recovery.Seconds:0.0} s" : $"NOT recovered within {report.Recovery.Seconds:0.0} s");
        html.Append("</table>\n");

        html.Append("<h2>Operations</h2>\n<table><tr><th>kind</th><th>ok</th><th>fail</th><th>info (unknown)</th></tr>");
        foreach (var (kind, counts) in report.Operations.ByKind)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(kind)}</td><td>{counts.GetValueOrDefault("ok")}</td><td>{counts.GetValueOrDefault("fail")}</td><td>{counts.GetValueOrDefault("info")}</td></tr>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<tr><th>total</th><th colspan=\"3\">{report.Operations.Total}</th></tr></table>\n");

        foreach (var checker in report.OtherCheckers.Prepend(report.Checker))
        {
            html.Append("<h2>Checker: ").Append(E(checker.Name)).Append(" (").Append(E(checker.Verdict)).Append(")</h2>\n<table>");
            foreach (var (name, value) in checker.Figures)
                Row(html, name, value.ToString(CultureInfo.InvariantCulture));
            html.Append("</table>\n");
        }

        html.Append("<h2>Faults</h2>\n");
        if (report.Faults.Count == 0)
        {
            html.Append("<p>No faults were injected.</p>\n");
        }
        else
        {
            html.Append("<p>Writes / reads stopped: the longest stretch without a successful write / read from any client, from the last success before the fault to 5 s after it healed.</p>\n");
            html.Append("<table><tr><th>#</th><th>from (s)</th><th>to (s)</th><th>nemesis</th><th>what</th><th>writes stopped</th><th>reads stopped</th></tr>");
            var number = 0;
            foreach (var fault in report.Faults)
            {
                var gap = report.Unavailability.FirstOrDefault(u => u.Fault == number + 1);
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{++number}</td><td>{fault.Start:0.0}</td><td>{fault.End:0.0}</td><td>{E(fault.Nemesis)}</td><td>{E(fault.Description)}</td><td>{Gap(gap?.WriteGapMs)}</td><td>{Gap(gap?.ReadGapMs)}</td></tr>");
            }
            html.Append("</table>\n");
        }

        html.Append("<h2>Latency</h2>\n").Append(latencySvg);
        html.Append("<h2>Throughput</h2>\n").Append(throughputSvg);
        if (timelineSvg is not null)
            html.Append("<h2>Offending operations</h2>\n<p>Bars run from invocation to completion, one lane per client process; hover for details.</p>\n").Append(timelineSvg);
        foreach (var checker in report.OtherCheckers.Prepend(report.Checker).Where(c => c.Details.Length > 0))
            html.Append("<h2>Checker details: ").Append(E(checker.Name)).Append("</h2>\n<pre>").Append(E(checker.Details)).Append("</pre>\n");
        if (report.Notes.Count > 0)
        {
            html.Append("<h2>Notes</h2>\n<ul>");
            foreach (var note in report.Notes)
                html.Append("<li>").Append(E(note)).Append("</li>");
            html.Append("</ul>\n");
        }

        html.Append("<h2>Files</h2>\n<ul><li><a href=\"history.jsonl\">history.jsonl</a> (one operation a line)</li><li><a href=\"verdict.json\">verdict.json</a></li><li><a href=\"harness.log\">harness.log</a></li>");
        foreach (var member in report.Members.Where(m => m.Log is not null))
            html.Append(CultureInfo.InvariantCulture, $"<li><a href=\"{E(member.Log!)}\">{E(member.Log!)}</a> ({E(member.Id)}, {E(member.Role)}, {E(member.Url)})</li>");
        html.Append("</ul>\n</body></html>\n");
        return html.ToString();
    }

    private static void Row(StringBuilder html, string name, string value)
        => html.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Gap(double? ms) => ms is { } value ? value.ToString("0", CultureInfo.InvariantCulture) + " ms" : "–";
}
