using System.Collections.Concurrent;
using GlobalZone.ClusterRunner;
using Xunit.Abstractions;

namespace GlobalZone.Testing;

/// <summary>
/// A real cluster of member processes for one test, with loopback timings (elections in 300–600 ms), its folder
/// under <c>tests/TestResults/clusters/</c>. Disposing kills every member it started and removes the data, but
/// keeps each member's log there as the evidence of a failed run.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly ITestOutputHelper? output;
    // Concurrent: probes and writers ask for clients from their own tasks while the test body does too (a plain
    // Dictionary written from two threads corrupted itself once and failed a trial with a NullReferenceException).
    private readonly ConcurrentDictionary<string, Lazy<HttpClient>> clients = new();

    private TestCluster(LocalCluster cluster, ITestOutputHelper? output)
    {
        Cluster = cluster;
        this.output = output;
    }

    public LocalCluster Cluster { get; }

    /// <summary>Set when the cluster runs with TLS and auth on (the suite's security mode, see <see cref="SuiteSecurity"/>).</summary>
    public SuiteSecurity.Credentials? Credentials { get; private set; }

    public IReadOnlyList<MemberProcess> Members => Cluster.Members;

    public MemberProcess this[string id] => Cluster[id];

    /// <param name="ownSecurity">The test sets TLS and auth up itself (the security tests): the suite's security mode is not applied.</param>
    public static async Task<TestCluster> StartAsync(string name, string layout = "2+1+0", ITestOutputHelper? output = null, bool partitionable = false,
        Func<ClusterSettings, ClusterSettings>? configure = null, TimeSpan? startTimeout = null, bool ownSecurity = false)
    {
        var root = Path.Combine(ResultsRoot(), $"{name}-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
        var settings = new ClusterSettings
        {
            RootDirectory = root,
            ClusterName = "test-" + name,
            LowerElectionTimeoutMs = 300,
            UpperElectionTimeoutMs = 600,
        };
        settings = configure?.Invoke(settings) ?? settings;
        var secured = SuiteSecurity.On && !ownSecurity;
        if (secured)
        {
            // Tokens outlive the longest test, so no test has to renew one. Every gz process a test runs signs in as
            // root from 127.0.0.1, dozens a minute: the per-user sign-in rate limit is raised for them (its own
            // tests, AuthTests, run with the default).
            var extra = new Dictionary<string, string>(settings.Extra) { ["Auth:TokenTtlSeconds"] = "86400", ["Auth:TokenAttemptsPerMinute"] = "10000" };
            settings = settings with { Tls = true, Extra = extra };
        }

        var cluster = LocalCluster.Create(ClusterLayout.Parse(layout, distinctAddresses: partitionable), settings);
        output?.WriteLine($"cluster {name}: {root}");
        var test = new TestCluster(cluster, output);
        try
        {
            cluster.StartAll();
            // Long election timeouts (a test's own choice) need longer for the first leader.
            await cluster.WaitForLeaderAsync(startTimeout ?? TimeSpan.FromSeconds(30));
            if (cluster.Members.FirstOrDefault(m => !m.IsRunning) is { } dead)
                throw new InvalidOperationException($"{dead.Id} exited during start; see {dead.LogPath}");
            if (secured)
                await test.SecureAsync();
        }
        catch
        {
            await test.DisposeAsync();
            throw;
        }

        return test;
    }

    private async Task SecureAsync()
    {
        using var start = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var password = await LocalAuth.EnableAsync(Cluster, start.Token);
        using var http = new HttpClient(Cluster.CreateHandler()) { Timeout = TimeSpan.FromSeconds(15) };
        var token = await LocalAuth.SignInAsync(http, Cluster.Voters, LocalAuth.RootUser, password, start.Token);
        Credentials = new SuiteSecurity.Credentials(Cluster.Certificates!.CaCertFile, LocalAuth.RootUser, password, token);
        SuiteSecurity.Register(Members.Select(m => m.Url), Credentials);
        output?.WriteLine("security: TLS on every link, auth on (root)");
    }

    /// <summary>
    /// A handler for a client of this cluster: trusts its CA when it runs with TLS and, in the suite's security mode,
    /// signs every request in as root. Tests that build their own HttpClient use this.
    /// </summary>
    public HttpMessageHandler CreateClientHandler(Action<SocketsHttpHandler>? configure = null)
    {
        var handler = Cluster.CreateHandler();
        configure?.Invoke(handler);
        return Credentials is { } credentials ? new BearerTokenHandler(credentials.Token, handler) : handler;
    }

    /// <summary>
    /// A handler that speaks as member <paramref name="memberId"/> (its certificate as the client certificate) for the
    /// member-to-member routes (<c>/internal</c>): with TLS on they admit only a current member (mutual TLS).
    /// </summary>
    public HttpMessageHandler CreatePeerHandler(string memberId) => Cluster.CreateMemberHandler(memberId);

    /// <summary>Configures a member that joins the running group (see <see cref="LocalCluster.AddJoiningMember"/>), reached with this cluster's credentials.</summary>
    public MemberProcess AddJoiningMember(string id, string site, string role = "voter")
    {
        var member = Cluster.AddJoiningMember(id, site, role);
        if (Credentials is { } credentials)
            SuiteSecurity.Register([member.Url], credentials);
        return member;
    }

    /// <summary>An HTTP client for one member (no automatic redirects: what a follower answers is under test).</summary>
    public HttpClient Client(MemberProcess member)
        => clients.GetOrAdd(member.Id, _ => new Lazy<HttpClient>(() => NewClient(member))).Value;

    private HttpClient NewClient(MemberProcess member)
    {
        // Trusts the cluster's CA when it runs with TLS, and signs in when the suite runs secured.
        var handler = CreateClientHandler(h =>
        {
            h.AllowAutoRedirect = false;
            h.PooledConnectionLifetime = TimeSpan.FromSeconds(20);
        });
        return new HttpClient(handler)
        {
            BaseAddress = new Uri(member.Url),
            Timeout = TimeSpan.FromSeconds(15),
        };
    }

    public Task<MemberProcess> WaitForLeaderAsync(TimeSpan? timeout = null, IEnumerable<MemberProcess>? among = null)
        => Cluster.WaitForLeaderAsync(timeout ?? TimeSpan.FromSeconds(30), among);

    public MemberProcess AnyFollowerOf(MemberProcess leader)
        => Members.First(m => m.Id != leader.Id && !m.Spec.IsWitness && m.IsRunning);

    /// <summary>Where clusters keep their members' logs (tests/TestResults/clusters); other artefacts go beside it.</summary>
    public static string ResultsFolder => ResultsRoot();

    private static string ResultsRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GlobalZone.sln")))
            dir = dir.Parent;
        return dir is null
            ? Path.Combine(Path.GetTempPath(), "globalzone-tests")
            : Path.Combine(dir.FullName, "tests", "TestResults", "clusters");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clients.Values.Where(c => c.IsValueCreated))
            client.Value.Dispose();
        await Cluster.DisposeAsync();
        foreach (var member in Members)
        {
            try
            {
                if (Directory.Exists(member.DataDirectory))
                    Directory.Delete(member.DataDirectory, recursive: true);
            }
            catch (IOException e)
            {
                output?.WriteLine($"could not remove {member.DataDirectory}: {e.Message}");
            }
        }

        output?.WriteLine($"member logs kept in {Cluster.Settings.RootDirectory}");
    }
}
