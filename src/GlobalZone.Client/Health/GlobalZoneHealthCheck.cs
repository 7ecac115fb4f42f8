using System.Net;
using GlobalZone.Client.Internal;
using GlobalZone.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GlobalZone.Client.Health;

/// <summary>
/// Whether the application can use its GlobalZone cluster: asks every member it knows (seeds and discovered ones,
/// in parallel, each once, no retries) for <c>GET /v1/cluster</c>. Healthy: every member answers and a leader is
/// known; Degraded: a leader is known but some members do not answer (the cluster still serves, with less margin);
/// Unhealthy (the registration's failure status): no member answers, or none knows a leader (writes and
/// linearizable reads would fail). The result's data names the leader, the term and which members did not answer.
/// </summary>
public sealed class GlobalZoneHealthCheck : IHealthCheck
{
    private readonly GlobalZoneClient client;
    private readonly TimeSpan probeTimeout;

    /// <param name="client">The client whose cluster is checked.</param>
    /// <param name="probeTimeout">How long one member may take to answer; null: the client's <see cref="GlobalZoneClientOptions.RequestTimeout"/>.</param>
    public GlobalZoneHealthCheck(GlobalZoneClient client, TimeSpan? probeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
        this.probeTimeout = probeTimeout ?? client.Options.RequestTimeout;
    }

    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context?.Registration?.FailureStatus ?? HealthStatus.Unhealthy;
        var topology = client.Executor.Topology;
        var probes = new Dictionary<Uri, Task<Probe>>();
        foreach (var member in topology.Snapshot())
            probes[member.Url] = ProbeAsync(member.Url, cancellationToken);
        await Task.WhenAll(probes.Values).ConfigureAwait(false);

        // The member list comes from the cluster once any member answered (the seeds may be only some of them, or
        // other names for them); members it lists that were not asked yet are asked now.
        var view = Newest(probes.Values.Select(p => p.Result.Status));
        var members = probes.Keys.ToList();
        if (view is not null)
        {
            topology.Apply(view);
            members = [.. view.Members.Select(m => Uri.TryCreate(m.Url, UriKind.Absolute, out var url) ? ClusterTopology.Normalize(url) : null).OfType<Uri>()];
            foreach (var url in members.Where(u => !probes.ContainsKey(u)))
                probes[url] = ProbeAsync(url, cancellationToken);
            await Task.WhenAll(probes.Values).ConfigureAwait(false);
            view = Newest(probes.Values.Select(p => p.Result.Status)) ?? view;
        }

        var unreachable = members.Where(u => !probes[u].Result.Reachable).ToList();
        var reachable = members.Count - unreachable.Count;
        var leader = view?.Members.FirstOrDefault(m => m.Id == view.LeaderId);
        var data = new Dictionary<string, object>
        {
            ["members"] = members.Count,
            ["reachable"] = reachable,
            ["unreachable"] = string.Join(",", unreachable.Select(u => Describe(u, view))),
        };
        if (view is not null)
        {
            data["term"] = view.Term;
            data["revision"] = view.Revision;
        }

        if (leader is not null)
        {
            data["leader"] = leader.Id;
            data["leaderUrl"] = leader.Url;
        }

        if (reachable == 0)
            return new HealthCheckResult(failure, $"No GlobalZone member answered ({members.Count} tried).", data: data);
        if (leader is null)
            return new HealthCheckResult(failure, $"{reachable} of {members.Count} GlobalZone members answered, but none knows a leader (an election is on, or no majority).", data: data);
        if (unreachable.Count > 0)
            return HealthCheckResult.Degraded($"Leader {leader.Id}; {unreachable.Count} of {members.Count} members did not answer: {data["unreachable"]}.", data: data);
        return HealthCheckResult.Healthy($"Leader {leader.Id}; all {members.Count} members answered.", data);
    }

    /// <summary>The view with the highest term (a member that lost touch may still name an old leader).</summary>
    private static ClusterStatus? Newest(IEnumerable<ClusterStatus?> statuses)
        => statuses.OfType<ClusterStatus>().OrderByDescending(s => s.Term).ThenByDescending(s => s.LeaderId is null ? 0 : 1).FirstOrDefault();

    private static string Describe(Uri url, ClusterStatus? view)
        => view?.Members.FirstOrDefault(m => Uri.TryCreate(m.Url, UriKind.Absolute, out var u) && ClusterTopology.Normalize(u) == url)?.Id ?? url.ToString();

    private async Task<Probe> ProbeAsync(Uri member, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(probeTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(member, "v1/cluster"));
            using var response = await client.Http().SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.MisdirectedRequest)
                return new Probe(true, null);   // the witness: up, but it serves no clients
            if (!response.IsSuccessStatusCode)
                return new Probe((int)response.StatusCode < 500, null);
            var status = await System.Net.Http.Json.HttpContentJsonExtensions
                .ReadFromJsonAsync(response.Content, ContractsJsonContext.Default.ClusterStatus, timeout.Token).ConfigureAwait(false);
            return new Probe(true, status);
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Probe(false, null);
        }
    }

    private readonly record struct Probe(bool Reachable, ClusterStatus? Status);
}
