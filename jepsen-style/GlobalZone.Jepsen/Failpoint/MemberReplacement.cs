using System.Net;
using System.Net.Http.Json;
using GlobalZone.ClusterRunner;
using GlobalZone.Contracts;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// The runbook's replacement of a failed member, as an operator does it: <c>kill -9</c> it (if it still runs) and delete
/// its data, remove it from the group (<c>DELETE /v1/members/{id}</c> on the leader), start a fresh member with a new id
/// in the same site (<c>GlobalZone:Join=true</c>) and add it (<c>POST /v1/members</c>). The removed member is retired
/// from the run. Shared by the nemeses that replace members (replace-member, and the data-damage ones when a damaged
/// member refuses to start).
/// </summary>
internal static class MemberReplacement
{
    private static readonly TimeSpan StepPatience = TimeSpan.FromSeconds(30);

    // Adding waits for the newcomer to catch up (the leader answers once it has), which on a large state means
    // receiving hundreds of megabytes: minutes, not seconds.
    private static readonly TimeSpan AddPatience = TimeSpan.FromMinutes(3);

    /// <summary>Replaces <paramref name="victim"/>; returns what was done, e.g. "replaced dc1-b by dc1-r1 (…)".</summary>
    public static async Task<string> ReplaceAsync(NemesisContext context, MemberSpec victim, CancellationToken token)
    {
        var cluster = context.Cluster;
        var process = cluster.Process(victim);
        process.Kill();
        if (Directory.Exists(process.DataDirectory))
            Directory.Delete(process.DataDirectory, recursive: true);

        // As an operator: trusting the cluster's CA and signed in as root when the run is secure.
        using var http = new HttpClient(context.Cluster.SignIn(context.Cluster.CreateClientHandler())) { Timeout = TimeSpan.FromMinutes(2) };
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await OnLeaderAsync(context, http, leader => new HttpRequestMessage(HttpMethod.Delete, $"{leader.Url}/v1/members/{victim.Id}"),
            members => members.All(m => m.Id != victim.Id), StepPatience, token).ConfigureAwait(false);
        cluster.Retire(victim);
        var removedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        var fresh = cluster.Local.AddJoiningMember(NewId(cluster.Local, victim.Site), victim.Site);
        context.Log.Info($"member {fresh.Id,-6} {fresh.Spec.Role,-8} {fresh.Url}  log {fresh.LogPath} (joining)");
        fresh.Start();
        await UntilHealthyAsync(http, fresh, token).ConfigureAwait(false);
        started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await OnLeaderAsync(context, http, leader => new HttpRequestMessage(HttpMethod.Post, $"{leader.Url}/v1/members")
            {
                Content = JsonContent.Create(new { url = fresh.Url, id = fresh.Id, site = fresh.Spec.Site, role = fresh.Spec.Role }),
            }, members => members.Any(m => m.Id == fresh.Id), AddPatience, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            // The leader's member list says it was not added: stop the newcomer and leave it out of the run, so that
            // recovery is judged on the group's members, not on a process that never became one.
            fresh.Kill();
            cluster.Retire(fresh.Spec);
            throw new InvalidOperationException($"removed {victim.Id} but could not add {fresh.Id}: {e.Message}", e);
        }

        var addedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return $"replaced {victim.Id} by {fresh.Id} (removed in {removedMs:F0} ms, added in {addedMs:F0} ms)";
    }

    /// <summary>The first unused <c>SITE-rN</c> (ids of retired members are not reused).</summary>
    private static string NewId(LocalCluster cluster, string site)
    {
        for (var n = 1; ; n++)
        {
            var id = $"{site}-r{n}";
            if (cluster.Members.All(m => m.Id != id))
                return id;
        }
    }

    /// <summary>
    /// Sends a membership change to whoever leads, again after a leader change (421/503) or an unknown outcome (504,
    /// timeout), until it is done. A failed attempt may still have made the change (a 504, or a 421 "leadership was
    /// lost during the change", often has), so before repeating it the leader's member list is consulted with
    /// <paramref name="done"/>.
    /// </summary>
    private static async Task OnLeaderAsync(NemesisContext context, HttpClient http, Func<MemberSpec, HttpRequestMessage> build, Func<IReadOnlyList<MemberStatus>, bool> done, TimeSpan patience, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + patience;
        string last = "no leader";
        var attempted = false;
        while (DateTime.UtcNow < deadline)
        {
            if (await context.Cluster.FindLeaderAsync(token).ConfigureAwait(false) is { IsWitness: false } leader)
            {
                if (attempted && await context.Cluster.Local.TryGetStatusAsync(context.Cluster.Process(leader), token).ConfigureAwait(false) is { } status && done(status.Members))
                    return;
                try
                {
                    attempted = true;
                    using var request = build(leader);
                    using var response = await http.SendAsync(request, token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                        return;
                    last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token).ConfigureAwait(false)}";
                    // 404 on a removal: a previous attempt that timed out already removed it.
                    if (request.Method == HttpMethod.Delete && response.StatusCode == HttpStatusCode.NotFound)
                        return;
                    if (response.StatusCode is not (HttpStatusCode.MisdirectedRequest or HttpStatusCode.ServiceUnavailable or HttpStatusCode.Conflict or HttpStatusCode.GatewayTimeout))
                        throw new InvalidOperationException($"membership change refused: {last}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
                {
                    last = e.Message;
                }
            }

            await Task.Delay(200, token).ConfigureAwait(false);
        }

        throw new TimeoutException($"membership change not done in {patience.TotalSeconds:0} s: {last}");
    }

    private static async Task UntilHealthyAsync(HttpClient http, MemberProcess member, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + StepPatience;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync($"{member.Url}/healthz", token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
            {
                // still starting
            }

            await Task.Delay(100, token).ConfigureAwait(false);
        }

        throw new TimeoutException($"{member.Id} did not start within {StepPatience.TotalSeconds:0} s; see {member.LogPath}");
    }
}
