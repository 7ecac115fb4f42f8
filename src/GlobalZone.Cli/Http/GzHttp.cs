using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Http;

/// <summary>
/// All of gz's HTTP in one place (until the client library exists): one pooled client over the member URLs, a send
/// that moves on to the next member when one is down, has no leader or is the witness, and problem+json turned into
/// readable errors.
/// </summary>
internal sealed class GzHttp : IDisposable
{
    private readonly HttpClient http;

    public GzHttp(IReadOnlyList<Uri> endpoints, TimeSpan? timeout = null, int maxConnectionsPerServer = 8, (string User, string Password)? credentials = null)
    {
        if (endpoints.Count == 0)
            throw new GzException("No endpoints: pass --endpoints or set GZ_ENDPOINTS.");
        Endpoints = endpoints;
        HttpMessageHandler handler = CreateHandler(maxConnectionsPerServer);
        if (credentials is { } signIn)
            handler = new BearerTokenHandler(signIn.User, signIn.Password, handler);
        http = new HttpClient(handler) { Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    }

    public IReadOnlyList<Uri> Endpoints { get; }

    public HttpClient Client => http;

    /// <summary>
    /// HTTP/1.1 keep-alive connections, as many per member as there are concurrent callers (the benchmark's clients
    /// must not queue behind each other in the handler), no proxy, no redirects; TLS as <see cref="GzTls"/> says.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(int maxConnectionsPerServer) => new()
    {
        MaxConnectionsPerServer = maxConnectionsPerServer,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(3),
        SslOptions = GzTls.ClientOptions(),
    };

    /// <summary>
    /// Sends the request built for each member in turn until one gives an answer that is not "try elsewhere"
    /// (unreachable, 503 no leader, 421 witness). Returns the last answer, or throws when none could be reached.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<Uri, HttpRequestMessage> build, CancellationToken token)
    {
        HttpResponseMessage? last = null;
        Exception? lastError = null;
        foreach (var endpoint in Endpoints)
        {
            using var request = build(endpoint);
            try
            {
                var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.MisdirectedRequest && !ReferenceEquals(endpoint, Endpoints[^1]))
                {
                    last?.Dispose();
                    last = response;
                    continue;
                }

                last?.Dispose();
                return response;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
            {
                // A write that may have reached the member is not sent again elsewhere: it could apply twice.
                if (request.Method != HttpMethod.Get && !NeverReachedServer(e))
                {
                    last?.Dispose();
                    throw new GzException($"{endpoint.Authority} did not answer ({e.Message}); the write may or may not have been applied.", ExitCodes.Unavailable);
                }

                lastError = e;
            }
        }

        return last ?? throw new GzException($"No member answered ({string.Join(", ", Endpoints)}): {lastError?.Message}", ExitCodes.Unavailable);
    }

    private static bool NeverReachedServer(Exception e)
        => e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    /// <summary>Sends to one member only.</summary>
    public async Task<HttpResponseMessage> SendToAsync(HttpRequestMessage request, CancellationToken token)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
        {
            throw new GzException($"{request.RequestUri?.GetLeftPart(UriPartial.Authority)} did not answer: {e.Message}", ExitCodes.Unavailable);
        }
    }

    /// <summary>A JSON answer from any member, or a <see cref="GzException"/> describing the problem it returned.</summary>
    public async Task<JsonDocument> GetJsonAsync(string pathAndQuery, CancellationToken token)
    {
        using var response = await SendAsync(endpoint => new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, pathAndQuery)), token).ConfigureAwait(false);
        await EnsureSuccessAsync(response, token).ConfigureAwait(false);
        return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false), cancellationToken: token).ConfigureAwait(false);
    }

    /// <summary>How one member sees the group, or null when it does not answer in time.</summary>
    public async Task<ClusterStatus?> TryGetStatusAsync(Uri member, TimeSpan timeout, CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        try
        {
            return await http.GetFromJsonAsync(new Uri(member, "/v1/cluster"), ContractsJsonContext.Default.ClusterStatus, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException && !token.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Throws a <see cref="GzException"/> carrying the problem's title and detail for a non-success answer.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken token)
    {
        if (response.IsSuccessStatusCode)
            return;
        throw await ProblemAsync(response, token).ConfigureAwait(false);
    }

    public static async Task<GzException> ProblemAsync(HttpResponseMessage response, CancellationToken token)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
        ProblemDetailsBody? problem = null;
        try
        {
            problem = text.Length > 0 ? JsonSerializer.Deserialize(text, ContractsJsonContext.Default.ProblemDetailsBody) : null;
        }
        catch (JsonException)
        {
            // not a problem body; show the text
        }

        var message = problem is null
            ? $"HTTP {status}: {Truncate(text)}"
            : $"HTTP {status}: {problem.Title}{(problem.Detail is { Length: > 0 } detail ? " " + detail : "")}";
        // A cap reached (429/503) says when to come back.
        if (response.Headers.RetryAfter?.Delta is { } retryAfter)
            message += $" (retry after {retryAfter.TotalSeconds:0} s)";
        return new GzException(message, ExitCodes.ForStatus(status)) { Status = status };
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";

    public void Dispose() => http.Dispose();
}

/// <summary>A failure gz reports as one line on stderr, with its exit code.</summary>
internal sealed class GzException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public int? Status { get; init; }
}

/// <summary>gz's exit codes, so scripts can tell "absent" and "condition failed" from a broken cluster.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int NotFound = 2;
    public const int PreconditionFailed = 3;
    public const int Unavailable = 4;

    public static int ForStatus(int status) => status switch
    {
        404 => NotFound,
        412 => PreconditionFailed,
        503 or 504 => Unavailable,
        _ => Failed,
    };
}
