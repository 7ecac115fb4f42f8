using System.Globalization;
using System.Text;
using System.Text.Json;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Validate;

/// <summary>
/// The watch workload's checker (etcd's watch validation): every watcher must see the same events in the same
/// order without gaps, and those events must be the writes that happened. Violations:
/// <list type="bullet">
/// <item><em>order</em>: a watcher got a revision not above the previous one (reordered or repeated);</item>
/// <item><em>disagreement</em>: two watchers got different events for one revision;</item>
/// <item><em>gap</em>: a watcher skipped a revision another watcher got, below the last revision it got itself;</item>
/// <item><em>lost</em>: an acknowledged write is not in the watched events at the revision it committed at;</item>
/// <item><em>phantom</em>: an event matches no attempted write, or one refused for certain;</item>
/// <item><em>final state</em>: a key's last watched value differs from the final listing.</item>
/// </list>
/// Watchers that never caught up with the final listing make the verdict unknown (nothing wrong was seen, but not
/// everything was seen).
/// </summary>
internal sealed class WatchChecker : IHistoryValidator
{
    private const int ListedInDetails = 20;

    public ValidationResult Validate(IReadOnlyList<Operation> history, TimeSpan budget)
    {
        var problems = new List<string>();
        var offending = new List<Operation>();
        var streams = history.Where(o => o.Kind == OperationKind.Read && o.Key == WatchWorkload.EventKey && o.Status == OperationStatus.Ok)
            .GroupBy(o => o.Process)
            .ToDictionary(g => g.Key, g => g.OrderBy(o => o.InvokeIndex).Select(o => (Operation: o, Revision: Parse(o.Output))).ToList());

        // Ordered per watcher, and one agreed content per revision.
        var canonical = new SortedDictionary<long, (string Events, Operation Operation)>();
        foreach (var (process, stream) in streams)
        {
            long previous = 0;
            foreach (var (operation, revision) in stream)
            {
                if (revision is null)
                {
                    problems.Add($"unreadable: watcher p{process} got an event that is not a revision: {operation.Output}");
                    offending.Add(operation);
                    continue;
                }

                if (revision.Revision <= previous)
                {
                    problems.Add($"order: watcher p{process} got revision {revision.Revision} after {previous}");
                    offending.Add(operation);
                }

                previous = Math.Max(previous, revision.Revision);
                var events = Canonical(revision);
                if (!canonical.TryGetValue(revision.Revision, out var agreed))
                {
                    canonical[revision.Revision] = (events, operation);
                }
                else if (agreed.Events != events)
                {
                    problems.Add($"disagreement: at revision {revision.Revision} watcher p{agreed.Operation.Process} got {agreed.Events} but p{process} got {events}");
                    offending.Add(operation);
                }
            }
        }

        // No gaps: every watcher got every revision anyone got, up to its own last one (all start at revision 1).
        foreach (var (process, stream) in streams)
        {
            var got = stream.Where(s => s.Revision is not null).Select(s => s.Revision!.Revision).ToHashSet();
            var last = got.Count == 0 ? 0 : got.Max();
            var missing = canonical.Keys.Where(r => r <= last && !got.Contains(r)).ToList();
            if (missing.Count > 0)
                problems.Add($"gap: watcher p{process} skipped {missing.Count} revisions: {string.Join(", ", missing.Take(ListedInDetails))}");
        }

        // The events are the writes: each acknowledged write at its revision, nothing else.
        var writes = history.Where(o => o.Kind == OperationKind.Write && o.Key.StartsWith(WatchWorkload.Prefix, StringComparison.Ordinal)).ToList();
        var byValue = writes.Where(w => w.Input is not null).GroupBy(w => w.Input!).ToDictionary(g => g.Key, g => g.First());
        var seen = new Dictionary<(string Key, string Value), long>();
        foreach (var (revision, (events, operation)) in canonical)
        {
            foreach (var e in Parse(operation.Output)!.Events)
            {
                if (e.Type != "put")
                    continue;
                seen[(e.Key, e.Value)] = revision;
                if (!byValue.TryGetValue(e.Value, out var write) || write.Key != e.Key)
                {
                    problems.Add($"phantom: revision {revision} puts {e.Key}={e.Value}, which nobody wrote");
                    offending.Add(operation);
                }
                else if (write.Status == OperationStatus.Fail)
                {
                    problems.Add($"phantom: revision {revision} puts {e.Key}={e.Value}, whose write was refused for certain ({write.Error})");
                    offending.Add(write);
                }
            }
        }

        var watchedUpTo = streams.Count == 0 ? 0 : streams.Values.Min(s => s.Where(x => x.Revision is not null).Select(x => x.Revision!.Revision).DefaultIfEmpty(0).Max());
        var lost = 0;
        foreach (var write in writes.Where(w => w.Status == OperationStatus.Ok))
        {
            var committed = long.TryParse(write.Output, NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;
            if (committed > watchedUpTo)
                continue; // not every watcher got that far: judged by the catch-up check below
            if (!seen.TryGetValue((write.Key, write.Input ?? ""), out var at))
            {
                lost++;
                problems.Add($"lost: the acknowledged write {write.Key}={write.Input} (revision {committed}) is in no watched event");
                offending.Add(write);
            }
            else if (at != committed)
            {
                problems.Add($"revision: the write {write.Key}={write.Input} committed at {committed} but was watched at {at}");
                offending.Add(write);
            }
        }

        // The final listing agrees with the last watched value of each key, and every watcher reached it.
        var listing = history.LastOrDefault(o => o.Kind == OperationKind.Read && o.Key == WatchWorkload.Prefix && o.Status == OperationStatus.Ok);
        long finalRevision = -1;
        var behind = 0;
        if (listing is not null)
        {
            var final = ParseListing(listing.Output);
            finalRevision = final.Count == 0 ? 0 : final.Max(f => f.ModRevision);
            var lastWatched = new Dictionary<string, string>();
            foreach (var (_, (_, operation)) in canonical)
            {
                foreach (var e in Parse(operation.Output)!.Events.Where(e => e.Type == "put"))
                    lastWatched[e.Key] = e.Value;
            }

            foreach (var (key, value, _) in final)
            {
                if (lastWatched.TryGetValue(key, out var watched) && watched != value)
                {
                    problems.Add($"final state: {key} is {value} but the last watched put says {watched}");
                    offending.Add(listing);
                }
            }

            behind = streams.Values.Count(s => s.Where(x => x.Revision is not null).Select(x => x.Revision!.Revision).DefaultIfEmpty(0).Max() < finalRevision);
        }

        var figures = new Dictionary<string, long>
        {
            ["watchers"] = streams.Count,
            ["revisions-watched"] = canonical.Count,
            ["events-delivered"] = streams.Values.Sum(s => (long)s.Count),
            ["acknowledged-writes"] = writes.Count(w => w.Status == OperationStatus.Ok),
            ["final-revision"] = finalRevision,
            ["watchers-behind"] = behind,
            ["lost"] = lost,
            ["violations"] = problems.Count,
        };

        var validity = problems.Count > 0 ? Validity.Invalid : listing is null || behind > 0 || streams.Count == 0 ? Validity.Unknown : Validity.Valid;
        var summary = validity switch
        {
            Validity.Valid => $"every watcher saw the same {canonical.Count} revisions in order, without gaps, matching the {figures["acknowledged-writes"]} acknowledged writes",
            Validity.Invalid => $"WATCH VIOLATED: {problems.Count} problems (first: {problems[0]})",
            _ => listing is null ? "unknown: the final listing never succeeded" : $"unknown: {behind} of {streams.Count} watchers never reached the final revision {finalRevision}",
        };
        var details = new StringBuilder(summary).AppendLine();
        foreach (var problem in problems.Take(ListedInDetails * 5))
            details.AppendLine(problem);
        return new ValidationResult
        {
            Checker = "watch",
            Validity = validity,
            Summary = summary,
            Details = details.ToString(),
            Figures = figures,
            Offending = offending.Distinct().Take(ListedInDetails * 2).ToList(),
        };
    }

    private static string Canonical(WatchedRevision revision)
        => string.Join(";", revision.Events.Select(e => $"{e.Type} {e.Key}={e.Value}"));

    /// <summary>Parses one delivered revision event, null when it is not one.</summary>
    internal static WatchedRevision? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var events = root.GetProperty("events").EnumerateArray().Select(e =>
            {
                var kv = e.GetProperty("kv");
                return new WatchedEvent(
                    e.GetProperty("type").GetString() ?? "",
                    kv.GetProperty("key").GetString() ?? "",
                    kv.TryGetProperty("value", out var value) ? value.GetRawText() : "");
            }).ToList();
            return new WatchedRevision(root.GetProperty("revision").GetInt64(), events);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static List<(string Key, string Value, long ModRevision)> ParseListing(string? json)
    {
        using var document = JsonDocument.Parse(json ?? "[]");
        return document.RootElement.EnumerateArray()
            .Select(e => (e[0].GetString() ?? "", e[1].GetRawText(), e[2].GetInt64()))
            .ToList();
    }

    internal sealed record WatchedRevision(long Revision, IReadOnlyList<WatchedEvent> Events);

    internal sealed record WatchedEvent(string Type, string Key, string Value);
}
