using GlobalZone.ClusterRunner;
using GlobalZone.Contracts;
using GlobalZone.Contracts.Testing;

using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Cluster;

/// <summary>
/// The cluster a run tests: real member processes (one per member, each on its own loopback address so iptables can
/// tell them apart) and, when the run partitions, the iptables partitioner. Nemeses act through it; clients never do.
/// </summary>
internal sealed class ClusterUnderTest : IAsyncDisposable
{
    private readonly RunLog log;
    private readonly HashSet<string> retired = new(StringComparer.Ordinal);
    private readonly HttpClient failpointHttp = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Dictionary<string, HttpClient> memberFailpointHttp = new();
    private string? rootPassword;
    private NetworkPartitioner? partitioner;

    private ClusterUnderTest(LocalCluster cluster, RunLog log)
    {
        Local = cluster;
        this.log = log;
    }

    public LocalCluster Local { get; }

    /// <summary>The members of the group now: the layout's, plus members added during the run, less those removed.</summary>
    public IReadOnlyList<MemberSpec> Members => Local.Layout.Members.Where(m => !retired.Contains(m.Id)).ToList();

    /// <summary>
    /// A member removed from the group (by a membership change): no longer healed, restarted or waited for, and no
    /// longer a victim. Its process stays down; its log stays in the results.
    /// </summary>
    public void Retire(MemberSpec member)
    {
        lock (retired)
            retired.Add(member.Id);
    }

    /// <summary>The members clients may call: every voter (the witness serves no clients).</summary>
    public IReadOnlyList<MemberSpec> Voters => Members.Where(m => !m.IsWitness).ToList();

    /// <summary>
    /// The member whose reads a scenario watches (the stale-read proof reads from it while it is cut off); null
    /// unless the scenario chose one.
    /// </summary>
    public MemberSpec? ReadTarget { get; set; }

    public NetworkPartitioner Partitioner => partitioner ?? throw new InvalidOperationException("This run has no partitioner (no partition nemesis was asked for).");

    public MemberProcess Process(MemberSpec member) => Local[member.Id];

    /// <summary>Whether the members were started with the TEST-ONLY peer failpoints (see <see cref="ArmFailpointAsync"/>).</summary>
    public bool HasPeerFailpoints { get; private set; }

    /// <summary>
    /// Arms a TEST-ONLY peer failpoint on <paramref name="on"/> (what it sends <see cref="PeerFailpointRequest.Member"/>).
    /// The failpoint lives in that member's process: a restart disarms it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run did not start its members with failpoints.</exception>
    /// <exception cref="HttpRequestException">The member refused or did not answer.</exception>
    public Task<PeerFailpointState> ArmFailpointAsync(MemberSpec on, PeerFailpointRequest request, CancellationToken token)
    {
        if (!HasPeerFailpoints)
            throw new InvalidOperationException("This run's members have no peer failpoints (no nemesis asked for them).");
        return PeerFailpointClient.ArmAsync(FailpointClient(on), Local.Settings.ClusterName, on, request, token);
    }

    /// <summary>
    /// The failpoint route is member-to-member: on a TLS cluster it admits only a current member's certificate, so the
    /// harness speaks to each member as that member (its own certificate, which stays valid while it is a member).
    /// </summary>
    private HttpClient FailpointClient(MemberSpec on)
    {
        if (Local.Certificates is null)
            return failpointHttp;
        lock (memberFailpointHttp)
        {
            if (!memberFailpointHttp.TryGetValue(on.Id, out var client))
                memberFailpointHttp[on.Id] = client = new HttpClient(Local.CreateMemberHandler(on.Id)) { Timeout = TimeSpan.FromSeconds(5) };
            return client;
        }
    }

    private static Dictionary<string, string> TestingSettings(bool peerFailpoints, bool acknowledgeBeforePersisting)
    {
        var settings = new Dictionary<string, string>();
        if (peerFailpoints)
            settings[PeerFailpointClient.EnableSetting.Key] = PeerFailpointClient.EnableSetting.Value;
        if (acknowledgeBeforePersisting)
            settings["Testing:AcknowledgeBeforePersisting"] = "true";
        return settings;
    }

    /// <summary>Creates and starts every member (loopback timings: elections in 300–600 ms) and waits for a leader.</summary>
    /// <param name="peerFailpoints">Start members with the TEST-ONLY peer failpoints on (a nemesis arms them).</param>
    /// <param name="acknowledgeBeforePersisting">TEST-ONLY: members acknowledge Raft entries before they are on disk.</param>
    /// <param name="secure">TLS with mutual TLS between members, and authentication on (user root; see <see cref="CreateClientHandler"/>).</param>
    public static async Task<ClusterUnderTest> StartAsync(string layoutText, string rootDirectory, bool partitions, RunLog log, CancellationToken token,
        bool peerFailpoints = false, bool acknowledgeBeforePersisting = false, bool secure = false)
    {
        if (partitions && !NetworkPartitioner.IsAvailable(out var reason))
            throw new InvalidOperationException("This run needs network partitions: " + reason);
        var layout = ClusterLayout.Parse(layoutText, 0, distinctAddresses: true);
        var settings = new ClusterSettings
        {
            RootDirectory = rootDirectory,
            ClusterName = "jepsen",
            LowerElectionTimeoutMs = 300,
            UpperElectionTimeoutMs = 600,
            Extra = TestingSettings(peerFailpoints, acknowledgeBeforePersisting),
            Tls = secure,
        };
        var local = LocalCluster.Create(layout, settings);
        var cluster = new ClusterUnderTest(local, log) { HasPeerFailpoints = peerFailpoints };
        try
        {
            if (partitions)
                cluster.partitioner = new NetworkPartitioner();
            local.StartAll();
            foreach (var member in local.Members)
                log.Info($"member {member.Id,-6} {member.Spec.Role,-8} {member.Url}  log {member.LogPath}");
            var leader = await local.WaitForLeaderAsync(TimeSpan.FromSeconds(60), token: token).ConfigureAwait(false);
            log.Info($"leader {leader.Id}");
            if (secure)
            {
                cluster.rootPassword = await LocalAuth.EnableAsync(local, token).ConfigureAwait(false);
                log.Info($"secure: https with mutual TLS between members, authentication on (user {LocalAuth.RootUser}); clients sign in");
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The leader now, as the members say: a member that claims leadership itself (the highest term wins if two do,
    /// as during a partition), else the leader most members name. Null when nobody knows.
    /// </summary>
    public async Task<MemberSpec?> FindLeaderAsync(CancellationToken token)
    {
        var live = Local.Members.Where(m => m.IsRunning && !m.IsPaused).ToList();
        var statuses = await Task.WhenAll(live.Select(m => Local.TryGetStatusAsync(m, token))).ConfigureAwait(false);
        var answers = statuses.OfType<ClusterStatus>().ToList();
        var claimed = answers.Where(s => s.LeaderId == s.MemberId).OrderByDescending(s => s.Term).FirstOrDefault();
        var leaderId = claimed?.MemberId
            ?? answers.Where(s => s.LeaderId is not null).GroupBy(s => s.LeaderId).OrderByDescending(g => g.Count()).FirstOrDefault()?.Key;
        return leaderId is null ? null : Members.FirstOrDefault(m => m.Id == leaderId);
    }

    /// <summary>Whether the cluster runs with TLS and authentication on.</summary>
    public bool IsSecure => rootPassword is not null;

    /// <summary>A connection handler for this cluster's clients: trusts its CA when it has one.</summary>
    public SocketsHttpHandler CreateClientHandler() => Local.CreateHandler();

    /// <summary>For a secure cluster, wraps a client's handler so that its requests are signed in as root; else as it is.</summary>
    public HttpMessageHandler SignIn(HttpMessageHandler transport)
        => rootPassword is { } password ? new SignedInHandler(() => Local.Members, LocalAuth.RootUser, password, transport) : transport;

    /// <summary>Undoes every fault a nemesis may have left: cuts, pauses, stopped members.</summary>
    public void HealEverything()
    {
        partitioner?.HealAll();
        foreach (var member in Local.Members.Where(m => !retired.Contains(m.Id)))
        {
            if (member.IsPaused)
                member.Resume();
            if (!member.IsRunning)
            {
                log.Info($"restarting {member.Id}");
                member.Start();
            }
        }
    }

    /// <summary>Waits until every member agrees on one leader; false when that does not happen in time.</summary>
    public async Task<bool> WaitForRecoveryAsync(TimeSpan timeout, CancellationToken token)
    {
        try
        {
            var leader = await Local.WaitForLeaderAsync(timeout, Local.Members.Where(m => !retired.Contains(m.Id)), token).ConfigureAwait(false);
            log.Info($"recovered: every member names {leader.Id}");
            return true;
        }
        catch (TimeoutException e)
        {
            log.Info($"not recovered: {e.Message}");
            return false;
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            // The wait's own deadline can fire inside a status call, which then ends cancelled rather than timed out.
            log.Info($"not recovered: no agreed leader within {timeout.TotalSeconds:0} s");
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            partitioner?.Dispose();
        }
        catch (InvalidOperationException e)
        {
            log.Info($"could not remove the iptables chain: {e.Message}");
        }

        failpointHttp.Dispose();
        lock (memberFailpointHttp)
        {
            foreach (var client in memberFailpointHttp.Values)
                client.Dispose();
        }
        await Local.DisposeAsync().ConfigureAwait(false);
    }
}
