using System.CommandLine;
using System.Diagnostics;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz leader transfer --to MEMBER</c>: asks the leader to transfer leadership (<c>POST /v1/cluster/leader/transfer</c>,
/// Raft's TimeoutNow: MEMBER catches up, the leader steps down, MEMBER campaigns at once), so writes stall for a round
/// trip or two, not an election. Against a server without it (501), the older way: hold every other voter in standby
/// (they still vote and replicate, but do not campaign; the leader steps down), wait until MEMBER leads, then release
/// them; those holds expire on their own. A preferred leader site (<c>GlobalZone:PreferredLeaderSite</c>) moves
/// leadership back later if MEMBER is elsewhere.
/// </summary>
internal static class LeaderCommands
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(15);

    public static Command Create()
    {
        var command = new Command("leader", "Leadership operations");
        var to = new Option<string>("--to") { Description = "Id of the voter that should lead", Required = true };
        var transfer = new Command("transfer", "Move leadership to a given voter") { to };
        transfer.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result, TimeSpan.FromSeconds(10));
            return await TransferAsync(http, result.GetValue(to)!, token);
        }));
        command.Add(transfer);
        return command;
    }

    private static async Task<int> TransferAsync(GzHttp http, string targetId, CancellationToken token)
    {
        var view = await ClusterView.GatherAsync(http, token);
        var target = view.Members.FirstOrDefault(m => m.Id == targetId)
            ?? throw new GzException($"No member '{targetId}' (members: {string.Join(", ", view.Members.Select(m => m.Id))}).");
        if (target.Role == "witness")
            throw new GzException($"{targetId} is the witness; it never leads for long. Choose a voter.");
        if (target.Health != "ok")
            throw new GzException($"{targetId} is {target.Health}; it must be up and following the leader.");
        if (view.AgreedLeader is null)
            throw new GzException("The group has no agreed leader right now; try again when `gz status` shows one.", ExitCodes.Unavailable);
        if (view.AgreedLeader == targetId)
        {
            Console.WriteLine($"{targetId} already leads (term {view.Term}).");
            return ExitCodes.Ok;
        }

        var stopwatch = Stopwatch.StartNew();
        var leader = view.Members.First(m => m.Id == view.AgreedLeader);
        using (var response = await http.SendToAsync(new HttpRequestMessage(HttpMethod.Post,
                   new Uri(new Uri(leader.Url), $"/v1/cluster/leader/transfer?to={Uri.EscapeDataString(targetId)}")), token))
        {
            if (response.StatusCode != System.Net.HttpStatusCode.NotImplemented)
            {
                await GzHttp.EnsureSuccessAsync(response, token);
                var status = await http.TryGetStatusAsync(new Uri(target.Url), TimeSpan.FromSeconds(1), token);
                Console.WriteLine($"{targetId} leads (term {status?.Term}) after {stopwatch.ElapsedMilliseconds} ms; was {view.AgreedLeader} (term {view.Term}).");
                return ExitCodes.Ok;
            }
        }

        // Every other voter first, the leader last: once it steps down only the target may campaign.
        var held = view.Members.Where(m => m.Role != "witness" && m.Id != targetId && m.Status is not null)
            .OrderBy(m => m.Id == view.AgreedLeader ? 1 : 0).ToList();
        try
        {
            foreach (var member in held)
            {
                using var response = await http.SendToAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(member.Url), $"/v1/cluster/standby?holdMs={(int)Hold.TotalMilliseconds}")), token);
                await GzHttp.EnsureSuccessAsync(response, token);
            }

            var deadline = DateTime.UtcNow + Hold - TimeSpan.FromSeconds(1);
            while (DateTime.UtcNow < deadline)
            {
                var status = await http.TryGetStatusAsync(new Uri(target.Url), TimeSpan.FromSeconds(1), token);
                if (status is { } s && s.LeaderId == targetId)
                {
                    Console.WriteLine($"{targetId} leads (term {s.Term}) after {stopwatch.ElapsedMilliseconds} ms; was {view.AgreedLeader} (term {view.Term}).");
                    return ExitCodes.Ok;
                }

                await Task.Delay(50, token);
            }

            throw new GzException($"{targetId} did not become leader within {Hold.TotalSeconds:F0} s; the other voters are released.", ExitCodes.Unavailable);
        }
        finally
        {
            foreach (var member in held)
            {
                try
                {
                    using var response = await http.SendToAsync(new HttpRequestMessage(HttpMethod.Delete, new Uri(new Uri(member.Url), "/v1/cluster/standby")), CancellationToken.None);
                }
                catch (GzException e)
                {
                    await Console.Error.WriteLineAsync($"gz: could not release {member.Id} ({e.Message}); its hold ends by itself within {Hold.TotalSeconds:F0} s.");
                }
            }
        }
    }
}
