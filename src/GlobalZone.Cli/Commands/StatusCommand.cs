using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz status</c>: every member (found through the endpoints' member lists) asked how it sees the group, shown
/// by site: role, leader, term, commit and applied index, lag (entries the leader has applied and the member has not), health.
/// Exit code 0 when the answering members agree on a leader, 4 otherwise.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Show the members by site, the leader, terms, indexes, lag and health") { CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result, TimeSpan.FromSeconds(5));
            var view = await ClusterView.GatherAsync(http, token);
            if (result.GetValue(CliOptions.Json))
                WriteJson(view);
            else
                WriteTable(view);
            return view.AgreedLeader is null ? ExitCodes.Unavailable : ExitCodes.Ok;
        }));
        return command;
    }

    private static void WriteTable(ClusterView view)
    {
        Console.WriteLine($"Cluster {view.ClusterName ?? "?"}   leader {view.AgreedLeader ?? "NONE"}   term {view.Term?.ToString(CultureInfo.InvariantCulture) ?? "?"}   revision {view.LeaderRevision?.ToString(CultureInfo.InvariantCulture) ?? "?"}");
        var rows = new List<string[]> { new[] { "SITE", "MEMBER", "ROLE", "STATE", "HEALTH", "TERM", "COMMIT", "APPLIED", "LAG", "REVISION", "URL" } };
        foreach (var member in view.Members.OrderBy(m => m.Site, StringComparer.Ordinal).ThenBy(m => m.Id, StringComparer.Ordinal))
        {
            var s = member.Status;
            rows.Add([
                member.Site, member.Id, member.Role, member.State, member.Health,
                Format(s?.Term), Format(s?.CommitIndex), Format(s?.AppliedIndex), Format(member.Lag), Format(s?.Revision), member.Url,
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
    }

    private static string Format(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static void WriteJson(ClusterView view)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("clusterName", view.ClusterName);
            w.WriteString("leader", view.AgreedLeader);
            if (view.Term is { } term)
                w.WriteNumber("term", term);
            if (view.LeaderRevision is { } revision)
                w.WriteNumber("revision", revision);
            w.WriteBoolean("healthy", view.AgreedLeader is not null && view.Members.All(m => m.Health == "ok"));
            w.WriteStartArray("members");
            foreach (var member in view.Members)
            {
                w.WriteStartObject();
                w.WriteString("id", member.Id);
                w.WriteString("site", member.Site);
                w.WriteString("role", member.Role);
                w.WriteString("url", member.Url);
                w.WriteString("state", member.State);
                w.WriteString("health", member.Health);
                if (member.Status is { } s)
                {
                    w.WriteString("leader", s.LeaderId);
                    w.WriteNumber("term", s.Term);
                    w.WriteNumber("commitIndex", s.CommitIndex);
                    w.WriteNumber("appliedIndex", s.AppliedIndex);
                    w.WriteNumber("snapshotIndex", s.SnapshotIndex);
                    w.WriteNumber("revision", s.Revision);
                }

                if (member.Lag is { } lag)
                    w.WriteNumber("lag", lag);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }
}

/// <summary>The group as its members report it: each member's own answer, and what they agree on.</summary>
internal sealed record ClusterView(string? ClusterName, string? AgreedLeader, long? Term, long? LeaderRevision, IReadOnlyList<MemberView> Members)
{
    public static async Task<ClusterView> GatherAsync(GzHttp http, CancellationToken token)
    {
        var timeout = TimeSpan.FromSeconds(2);
        var first = await Task.WhenAll(http.Endpoints.Select(e => http.TryGetStatusAsync(e, timeout, token)));
        var known = first.FirstOrDefault(s => s is not null)
            ?? throw new GzException($"No member answered ({string.Join(", ", http.Endpoints)}).", ExitCodes.Unavailable);

        // Members as the group lists them, plus any endpoint the list does not name.
        var members = known.Members.Select(m => (m.Id, m.Site, m.Role, Url: new Uri(m.Url))).ToList();
        foreach (var endpoint in http.Endpoints.Where(e => members.All(m => m.Url != e)))
            members.Add((endpoint.Authority, "?", "?", endpoint));
        var statuses = await Task.WhenAll(members.Select(m =>
        {
            var index = http.Endpoints.ToList().IndexOf(m.Url);
            return index >= 0 && first[index] is { } already ? Task.FromResult<ClusterStatus?>(already) : http.TryGetStatusAsync(m.Url, timeout, token);
        }));

        var answered = statuses.Where(s => s is not null).Select(s => s!).ToList();
        var leaderVotes = answered.Where(s => s.LeaderId is not null).GroupBy(s => s.LeaderId!).OrderByDescending(g => g.Count()).FirstOrDefault();
        string? leader = null;
        ClusterStatus? leaderStatus = null;
        if (leaderVotes is not null)
        {
            leaderStatus = answered.FirstOrDefault(s => s.MemberId == leaderVotes.Key && s.LeaderId == leaderVotes.Key);
            // A leader counts when it says so itself and the members that name someone name it.
            if (leaderStatus is not null && answered.Where(s => s.LeaderId is not null).All(s => s.LeaderId == leaderVotes.Key))
                leader = leaderVotes.Key;
        }

        var views = members.Select((m, i) =>
        {
            var s = statuses[i];
            var state = s is null ? "unreachable" : s.LeaderId == s.MemberId ? "leader" : m.Role == "witness" ? "witness" : "follower";
            var health = s is null ? "down" : s.LeaderId is null ? "no-leader" : leader is not null && s.LeaderId != leader ? "disagrees" : "ok";
            long? lag = s is not null && leaderStatus is not null ? Math.Max(0, leaderStatus.AppliedIndex - s.AppliedIndex) : null;
            return new MemberView(m.Id, m.Site, m.Role, m.Url.ToString().TrimEnd('/'), state, health, lag, s);
        }).ToList();
        return new ClusterView(known.ClusterName, leader, leaderStatus?.Term ?? answered.Max(s => (long?)s.Term), leaderStatus?.Revision, views);
    }
}

/// <summary>One member in <see cref="ClusterView"/>: null <see cref="Status"/> when it did not answer.</summary>
internal sealed record MemberView(string Id, string Site, string Role, string Url, string State, string Health, long? Lag, ClusterStatus? Status);
