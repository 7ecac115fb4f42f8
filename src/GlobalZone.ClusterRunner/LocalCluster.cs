using System.Net.Http.Json;
using System.Text.Json;
using GlobalZone.ClusterRunner.Tls;
using GlobalZone.Contracts;
using GlobalZone.Contracts.Tls;

namespace GlobalZone.ClusterRunner;

/// <summary>
/// A cluster of real member processes on 127.0.0.1, each with its own folder (config, data, log) under one root.
/// Used by the local cluster command, the integration tests and the partition-testing harness.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly HttpClient http;
    private readonly List<MemberProcess> members;
    private readonly string serverPath;

    private LocalCluster(ClusterLayout layout, ClusterSettings settings, List<MemberProcess> members, string serverPath, LocalCertificates? certificates)
    {
        Certificates = certificates;
        Layout = layout;
        Settings = settings;
        this.members = members;
        this.serverPath = serverPath;
        var handler = CreateHandler();
        handler.PooledConnectionLifetime = TimeSpan.FromSeconds(30);
        http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
    }

    public ClusterLayout Layout { get; private set; }

    public ClusterSettings Settings { get; }

    /// <summary>Every member this cluster has configured, founding and joining ones.</summary>
    public IReadOnlyList<MemberProcess> Members => members;

    public MemberProcess this[string id] => Members.First(m => m.Id == id);

    /// <summary>The cluster's certificates (CA, one per member), or null for a plain-HTTP cluster.</summary>
    public LocalCertificates? Certificates { get; private init; }

    /// <summary>A handler that trusts the cluster's CA when it has one (for clients of this cluster: gz, tests).</summary>
    public SocketsHttpHandler CreateHandler()
        => new() { SslOptions = Certificates is { } certificates ? ClusterTrust.ClientOptions(certificates.CaCertFile, null, null) : new() };

    /// <summary>
    /// A handler that speaks as member <paramref name="memberId"/> (its certificate as the client certificate), for the
    /// member-to-member routes a TLS cluster admits only from a current member (TEST-ONLY failpoints); without TLS, as
    /// <see cref="CreateHandler"/>.
    /// </summary>
    public SocketsHttpHandler CreateMemberHandler(string memberId)
        => new()
        {
            SslOptions = Certificates is { } certificates
                ? ClusterTrust.ClientOptions(certificates.CaCertFile, certificates.MemberCertFile(memberId), certificates.MemberKeyFile(memberId))
                : new(),
        };

    public IEnumerable<MemberProcess> Voters => Members.Where(m => !m.Spec.IsWitness);

    /// <summary>Writes every member's configuration under <see cref="ClusterSettings.RootDirectory"/>; starts nothing.</summary>
    public static LocalCluster Create(ClusterLayout layout, ClusterSettings settings, string? serverPath = null)
    {
        serverPath ??= ServerLocator.Find();
        Directory.CreateDirectory(settings.RootDirectory);
        LocalCertificates? certificates = null;
        if (settings.Tls)
        {
            certificates = LocalCertificates.Open(Path.Combine(settings.RootDirectory, "tls"), settings.ClusterName);
            layout = new ClusterLayout([.. layout.Members.Select(m => m with { Scheme = "https" })]);
            foreach (var spec in layout.Members)
                certificates.EnsureMember(spec.Id, spec.Host);
        }

        var members = new List<MemberProcess>();
        foreach (var spec in layout.Members)
        {
            var member = new MemberProcess(spec, Path.Combine(settings.RootDirectory, spec.Id), serverPath);
            Directory.CreateDirectory(member.Directory);
            File.WriteAllText(member.ConfigPath, MemberConfiguration(layout, settings, certificates, spec, member.DataDirectory, join: false));
            members.Add(member);
        }

        return new LocalCluster(layout, settings, members, serverPath, certificates);
    }

    /// <summary>
    /// Configures (does not start) a new member that joins the running group (<c>GlobalZone:Join=true</c>): a fresh
    /// id, its own port (and its own loopback address when the cluster's members have distinct ones). It becomes a
    /// member only once the leader adds it (<c>POST /v1/members</c>, <c>gz member add</c>).
    /// </summary>
    public MemberProcess AddJoiningMember(string id, string site, string role = "voter")
    {
        if (members.Any(m => m.Id == id))
            throw new ArgumentException($"A member named {id} is already configured.", nameof(id));
        var hosts = Layout.Members.Select(m => m.Host).Distinct().ToList();
        var host = hosts is [var only] ? only : string.Join('.', hosts[0].Split('.')[..3]) + "." + (11 + members.Count);
        var spec = new MemberSpec(id, site, role, ClusterLayout.FreePort(host), host) { Scheme = Certificates is null ? "http" : "https" };
        Certificates?.EnsureMember(id, host);
        Layout = new ClusterLayout([.. Layout.Members, spec]);
        var member = new MemberProcess(spec, Path.Combine(Settings.RootDirectory, spec.Id), serverPath);
        Directory.CreateDirectory(member.Directory);
        File.WriteAllText(member.ConfigPath, MemberConfiguration(Layout, Settings, Certificates, spec, member.DataDirectory, join: true));
        members.Add(member);
        return member;
    }

    private static string MemberConfiguration(ClusterLayout layout, ClusterSettings settings, LocalCertificates? certificates, MemberSpec self, string dataDirectory, bool join)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("GlobalZone");
            json.WriteString("MemberId", self.Id);
            json.WriteString("ClusterName", settings.ClusterName);
            json.WriteString("DataDirectory", dataDirectory);
            if (join)
                json.WriteBoolean("Join", true);
            if (settings.PreferredLeaderSite is { } preferred)
                json.WriteString("PreferredLeaderSite", preferred);
            if (settings.SnapshotEveryEntries is { } every)
                json.WriteString("SnapshotEveryEntries", every.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (settings.LogFormat is { } format)
                json.WriteString("LogFormat", format);
            foreach (var (key, value) in settings.Extra)
                json.WriteString(key, value);
            if (settings.LowerElectionTimeoutMs is { } lower && settings.UpperElectionTimeoutMs is { } upper)
            {
                json.WriteStartObject("Raft");
                json.WriteNumber("LowerElectionTimeoutMs", lower);
                json.WriteNumber("UpperElectionTimeoutMs", upper);
                json.WriteEndObject();
            }

            if (certificates is not null)
            {
                json.WriteStartObject("Tls");
                json.WriteString("CertFile", certificates.MemberCertFile(self.Id));
                json.WriteString("KeyFile", certificates.MemberKeyFile(self.Id));
                json.WriteString("CaFile", certificates.CaCertFile);
                json.WriteEndObject();
            }

            json.WriteStartArray("Members");
            foreach (var member in layout.Members)
            {
                json.WriteStartObject();
                json.WriteString("Id", member.Id);
                json.WriteString("Url", member.Url);
                json.WriteString("Site", member.Site);
                json.WriteString("Role", member.Role);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public void StartAll()
    {
        foreach (var member in Members)
        {
            if (!member.IsRunning)
                member.Start();
        }
    }

    /// <summary>Asks one member how it sees the group; null when it does not answer.</summary>
    public async Task<ClusterStatus?> TryGetStatusAsync(MemberProcess member, CancellationToken token)
    {
        if (!member.IsRunning || member.IsPaused)
            return null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            return await http.GetFromJsonAsync(member.Url + "/v1/cluster", ContractsJsonContext.Default.ClusterStatus, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException && !token.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// Polls until a running member leads and says so itself, and every other running, unpaused member
    /// (among <paramref name="among"/>, default all) names that leader. Returns the leader.
    /// </summary>
    public async Task<MemberProcess> WaitForLeaderAsync(TimeSpan timeout, IEnumerable<MemberProcess>? among = null, CancellationToken token = default)
    {
        var group = (among ?? Members).ToList();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        string? lastSeen = null;
        while (true)
        {
            var live = group.Where(m => m.IsRunning && !m.IsPaused).ToList();
            var statuses = await Task.WhenAll(live.Select(m => TryGetStatusAsync(m, deadline.Token))).ConfigureAwait(false);
            var leaders = statuses.Where(s => s is not null).Select(s => s!.LeaderId).Distinct().ToList();
            lastSeen = string.Join(",", statuses.Select((s, i) => $"{live[i].Id}->{s?.LeaderId ?? "?"}"));
            if (leaders.Count == 1 && leaders[0] is { } leaderId && statuses.All(s => s is not null)
                && live.FirstOrDefault(m => m.Id == leaderId) is { } leader
                && statuses.First(s => s!.MemberId == leaderId)!.LeaderId == leaderId)
                return leader;
            try
            {
                await Task.Delay(50, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                throw new TimeoutException($"No agreed leader within {timeout} ({lastSeen}).");
            }
        }
    }

    public async Task StopAllAsync(TimeSpan grace)
        => await Task.WhenAll(Members.Select(m => m.StopAsync(grace))).ConfigureAwait(false);

    /// <summary>Kills every member still running (SIGKILL). Logs and data stay on disk.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var member in Members)
        {
            try
            {
                member.Kill();
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }

        http.Dispose();
        return ValueTask.CompletedTask;
    }
}
