using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz member list|add|remove</c>, like <c>etcdctl member</c>: one change at a time, made on the leader. A new
/// member is started first with <c>GlobalZone:Join=true</c>; <c>add</c> then checks it is who it says (id, site,
/// role, cluster), catches it up and commits the new membership. <c>remove</c> takes a member out, up or down.
/// </summary>
internal static class MemberCommands
{
    public static Command Create()
    {
        var command = new Command("member", "List, add and remove members (one change at a time)");

        var list = new Command("list", "The current members as the group sees them") { CliOptions.Json };
        list.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result, TimeSpan.FromSeconds(10));
            using var members = await http.GetJsonAsync("/v1/members", token);
            if (result.GetValue(CliOptions.Json))
                Console.WriteLine(members.RootElement.GetRawText());
            else
                WriteTable(members.RootElement);
            return ExitCodes.Ok;
        }));

        var url = new Argument<string>("url") { Description = "Base URL of the new member, already started with GlobalZone:Join=true" };
        var id = new Option<string?>("--id") { Description = "Expected member id (checked against what the member reports)" };
        var site = new Option<string?>("--site") { Description = "Expected site (checked)" };
        var role = new Option<string?>("--role") { Description = "Expected role: voter or witness (checked)" };
        var add = new Command("add", "Catch up and add a new member") { url, id, site, role, CliOptions.Json };
        add.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var body = JsonSerializer.Serialize(
                new MemberAddRequest { Url = result.GetValue(url)!, Id = result.GetValue(id), Site = result.GetValue(site), Role = result.GetValue(role) },
                ContractsJsonContext.Default.MemberAddRequest);
            return await ChangeAsync(result, HttpMethod.Post, "/v1/members", body, token, newcomerUrl: result.GetValue(url));
        }));

        var memberId = new Argument<string>("id") { Description = "Id of the member to remove" };
        var remove = new Command("remove", "Remove a member (it may be down)") { memberId, CliOptions.Json };
        remove.SetAction((result, token) => CliOptions.RunAsync(
            () => ChangeAsync(result, HttpMethod.Delete, "/v1/members/" + Uri.EscapeDataString(result.GetValue(memberId)!), null, token)));

        command.Add(list);
        command.Add(add);
        command.Add(remove);
        return command;
    }

    /// <summary>Sends the change to the leader: the agreed leader if the endpoints know one, else any member, following its 421 once.</summary>
    private static async Task<int> ChangeAsync(ParseResult result, HttpMethod method, string path, string? json, CancellationToken token, string? newcomerUrl = null)
    {
        // Catching up a large state can take a while; the server gives up only on a newcomer that stops moving.
        using var http = CliOptions.CreateHttp(result, TimeSpan.FromHours(2));
        var view = await ClusterView.GatherAsync(http, token);
        var target = view.Members.FirstOrDefault(m => m.Id == view.AgreedLeader) is { } leader ? new Uri(leader.Url) : http.Endpoints[0];
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, new Uri(target, path));
            if (json is not null)
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            using var reporting = CancellationTokenSource.CreateLinkedTokenSource(token);
            var reporter = newcomerUrl is null || !Uri.IsWellFormedUriString(newcomerUrl, UriKind.Absolute)
                ? Task.CompletedTask
                : CatchUpReporter.RunAsync(http, target, newcomerUrl, Console.Error, reporting.Token);
            HttpResponseMessage sent;
            try
            {
                sent = await http.SendToAsync(request, token);
            }
            finally
            {
                await reporting.CancelAsync();
                await reporter;
            }

            using var response = sent;
            if (response.StatusCode == HttpStatusCode.MisdirectedRequest && attempt == 0)
            {
                var problem = await GzHttp.ProblemAsync(response, token);
                using var text = JsonDocument.Parse(await response.Content.ReadAsStringAsync(token));
                if (text.RootElement.TryGetProperty("leader", out var next) && next.GetString() is { } nextUrl)
                {
                    target = new Uri(nextUrl);
                    continue;
                }

                throw problem;
            }

            await GzHttp.EnsureSuccessAsync(response, token);
            using var change = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(token), cancellationToken: token);
            if (result.GetValue(CliOptions.Json))
            {
                Console.WriteLine(change.RootElement.GetRawText());
            }
            else
            {
                var member = change.RootElement.GetProperty("member");
                Console.WriteLine($"{change.RootElement.GetProperty("change").GetString()} {member.GetProperty("id").GetString()} ({member.GetProperty("site").GetString()}, {member.GetProperty("role").GetString()}) {member.GetProperty("url").GetString()}");
                WriteTable(change.RootElement.GetProperty("members"));
            }

            return ExitCodes.Ok;
        }
    }

    private static void WriteTable(JsonElement members)
    {
        string Text(JsonElement member, string name) => member.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";
        var rows = new List<string[]> { new[] { "SITE", "MEMBER", "ROLE", "LEADER", "STATUS", "URL" } };
        foreach (var member in members.EnumerateArray().OrderBy(m => Text(m, "site"), StringComparer.Ordinal).ThenBy(m => Text(m, "id"), StringComparer.Ordinal))
        {
            var isLeader = member.TryGetProperty("isLeader", out var l) && l.ValueKind == JsonValueKind.True;
            rows.Add([Text(member, "site"), Text(member, "id"), Text(member, "role"), isLeader ? "*" : "", Text(member, "status"), Text(member, "url")]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
    }
}
