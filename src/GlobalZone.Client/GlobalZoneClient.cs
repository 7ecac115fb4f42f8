using GlobalZone.Client.Internal;
using GlobalZone.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GlobalZone.Client;

/// <summary>
/// A client of one GlobalZone cluster: give it any members' URLs and it finds the rest. Reads prefer members of
/// <see cref="GlobalZoneClientOptions.Site"/>, writes go to the leader (or any voter, which forwards), the witness
/// is never asked, and failed attempts move on to another member. Every write carries one <c>Idempotency-Key</c> for
/// all of its attempts, so a retry after a timeout or a 504 cannot apply twice. Thread-safe; create one per cluster
/// and share it (or register it with <c>services.AddGlobalZoneClient(...)</c>).
/// </summary>
public sealed partial class GlobalZoneClient : IAsyncDisposable, IDisposable
{
    /// <summary>The name of the <see cref="HttpClient"/> the client asks <see cref="IHttpClientFactory"/> for.</summary>
    public const string HttpClientName = "GlobalZone.Client";

    private readonly HttpClient? ownedHttpClient;
    private readonly CancellationTokenSource disposing = new();
    private int disposed;

    /// <summary>A client with its own connection pool.</summary>
    /// <exception cref="ArgumentException">The options are not valid.</exception>
    public GlobalZoneClient(GlobalZoneClientOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, null, null, loggerFactory, TimeProvider.System)
    {
    }

    /// <summary>
    /// A client over an <see cref="HttpClient"/> you own. Its <c>BaseAddress</c> is not used; give it an infinite
    /// <c>Timeout</c> (the client times each attempt itself, and lock waits last up to
    /// <see cref="GlobalZoneClientOptions.LockWaitSlice"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The options are not valid.</exception>
    public GlobalZoneClient(GlobalZoneClientOptions options, HttpClient httpClient, ILoggerFactory? loggerFactory = null)
        : this(options, httpClient ?? throw new ArgumentNullException(nameof(httpClient)), null, loggerFactory, TimeProvider.System)
    {
    }

    /// <summary>A client over <see cref="IHttpClientFactory"/> (the client named <see cref="HttpClientName"/>), as dependency injection builds it.</summary>
    /// <exception cref="ArgumentException">The options are not valid.</exception>
    public GlobalZoneClient(IHttpClientFactory httpClientFactory, IOptions<GlobalZoneClientOptions> options, ILoggerFactory? loggerFactory = null)
        : this(options.Value, null, httpClientFactory ?? throw new ArgumentNullException(nameof(httpClientFactory)), loggerFactory, TimeProvider.System)
    {
    }

    internal GlobalZoneClient(GlobalZoneClientOptions options, HttpClient? httpClient, IHttpClientFactory? factory, ILoggerFactory? loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Time = time;
        var loggers = loggerFactory ?? NullLoggerFactory.Instance;
        Logger = loggers.CreateLogger<GlobalZoneClient>();
        Func<HttpClient> http;
        if (factory is not null)
        {
            http = () => factory.CreateClient(HttpClientName);
        }
        else
        {
            if (httpClient is null)
            {
                ownedHttpClient = new HttpClient(CreateHandler(options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
                httpClient = ownedHttpClient;
            }

            var shared = httpClient;
            http = () => shared;
        }

        Http = http;
        var topology = new ClusterTopology(options.Endpoints.Select(e => new Uri(e, UriKind.Absolute)), options.Site, time);
        Executor = new RequestExecutor(http, topology, options, Logger, time);
        Owner = options.Owner ?? $"{Environment.MachineName}/{Environment.ProcessId}";
        Locks = new GlobalZoneLockProvider(this);
        ReaderWriterLocks = new GlobalZoneReaderWriterLockProvider(Locks);
        Semaphores = new GlobalZoneSemaphoreProvider(Locks);
    }

    /// <summary>The settings the client runs with.</summary>
    public GlobalZoneClientOptions Options { get; }

    /// <summary>Distributed locks on this cluster; also an <see cref="Medallion.Threading.IDistributedLockProvider"/>.</summary>
    public GlobalZoneLockProvider Locks { get; }

    /// <summary>Reader-writer locks on this cluster; also an <see cref="Medallion.Threading.IDistributedReaderWriterLockProvider"/>.</summary>
    public GlobalZoneReaderWriterLockProvider ReaderWriterLocks { get; }

    /// <summary>Semaphores on this cluster; also an <see cref="Medallion.Threading.IDistributedSemaphoreProvider"/>.</summary>
    public GlobalZoneSemaphoreProvider Semaphores { get; }

    /// <summary>The label this client's locks carry (<see cref="GlobalZoneClientOptions.Owner"/>).</summary>
    public string Owner { get; }

    /// <summary>The leader's URL as the client last learned it (null before the first answer or during an election).</summary>
    public Uri? KnownLeader => Executor.Topology.Leader;

    internal RequestExecutor Executor { get; }

    /// <summary>The HTTP client requests go through, for calls that must reach one given member (health probes).</summary>
    internal Func<HttpClient> Http { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    /// <summary>Cancelled when the client is disposed: stops keep-alives and watches.</summary>
    internal CancellationToken Disposing => disposing.Token;

    internal System.Text.Json.JsonSerializerOptions ValueJson => Options.JsonSerializerOptions ?? Internal.WebJson.Options;

    /// <summary>
    /// The primary handler a client uses: connection timeout from the options, no redirects, pooled connections renewed,
    /// TLS 1.2+ with the options' CA and client certificate when set.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(GlobalZoneClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            SslOptions = Contracts.Tls.ClusterTrust.ClientOptions(options.CaCertificateFile, options.ClientCertificateFile, options.ClientKeyFile),
        };
    }

    /// <summary>The cluster as a member sees it: members, sites, leader, revision (also refreshes the client's view).</summary>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<ClusterStatus> GetClusterAsync(CancellationToken cancellationToken = default)
    {
        using var response = await Executor.SendAsync(RequestKind.Read, member => new HttpRequestMessage(HttpMethod.Get, new Uri(member, "v1/cluster")), cancellationToken)
            .ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var status = await ReadJsonAsync(response, ContractsJsonContext.Default.ClusterStatus, cancellationToken).ConfigureAwait(false);
        Executor.Topology.Apply(status);
        return status;
    }

    /// <summary>Stops background work (keep-alives, watches, discovery). Held locks and leases are not released: dispose their handles first.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        disposing.Cancel();
        Executor.Stop();
        ownedHttpClient?.Dispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    internal static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken token)
    {
        if (!response.IsSuccessStatusCode)
            throw await ProblemReader.ToExceptionAsync(response, token).ConfigureAwait(false);
    }

    internal static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken token)
    {
        var value = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync(response.Content, type, token).ConfigureAwait(false);
        return value ?? throw new GlobalZoneException(response.StatusCode, null, $"GlobalZone answered {(int)response.StatusCode} with an empty body.");
    }

    /// <summary>A fresh idempotency key: one per logical write, the same for all its attempts.</summary>
    internal static string NewIdempotencyKey() => "gzc-" + Guid.NewGuid().ToString("N");
}
