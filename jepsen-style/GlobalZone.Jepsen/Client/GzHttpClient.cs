using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GlobalZone.ClusterRunner;
using GlobalZone.Contracts;

namespace GlobalZone.Jepsen.Client;

/// <summary>
/// Plain HTTP calls against one member at a time, each with its own timeout, classified into <see cref="CallOutcome"/>.
/// The harness talks to the cluster only as any client would: no shared code with the server beyond the contracts.
/// </summary>
internal sealed class GzHttpClient : IDisposable
{
    private readonly HttpClient http;

    public GzHttpClient(TimeSpan operationTimeout)
        : this(operationTimeout, new SocketsHttpHandler())
    {
    }

    /// <param name="operationTimeout">How long a call may take.</param>
    /// <param name="transport">The connection handler (a secure run's trusts the cluster CA, see <see cref="Cluster.ClusterUnderTest.CreateClientHandler"/>); its pooling and timeouts are set here.</param>
    /// <param name="wrap">Wraps the transport (a secure run signs requests in); null: as it is.</param>
    public GzHttpClient(TimeSpan operationTimeout, SocketsHttpHandler transport, Func<HttpMessageHandler, HttpMessageHandler>? wrap = null)
    {
        OperationTimeout = operationTimeout;
        transport.AllowAutoRedirect = false;
        transport.ConnectTimeout = TimeSpan.FromSeconds(2);
        transport.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(10);
        transport.PooledConnectionLifetime = TimeSpan.FromSeconds(30);
        http = new HttpClient(wrap is null ? transport : wrap(transport))
        {
            // Each call sets its own deadline (OperationTimeout); the client-wide one must never fire first.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>How long a call may take before it counts as timed out (indeterminate).</summary>
    public TimeSpan OperationTimeout { get; }

    /// <summary><c>GET /v1/kv/{key}</c>, linearizable or stale.</summary>
    public async Task<KeyRead> ReadAsync(MemberSpec member, string key, bool stale, CancellationToken abort)
    {
        var uri = $"{member.Url}/v1/kv/{key}" + (stale ? "?consistency=stale" : "");
        var call = await SendAsync(HttpMethod.Get, uri, body: null, ifMatch: null, abort).ConfigureAwait(false);
        if (call.Outcome != CallOutcome.Ok)
            return new KeyRead(call, null, 0);
        try
        {
            using var document = JsonDocument.Parse(call.Body ?? "");
            var root = document.RootElement;
            var value = root.GetProperty("value").GetRawText();
            var modRevision = root.GetProperty("modRevision").GetInt64();
            return new KeyRead(call, value, modRevision);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // A 200 we cannot understand tells us nothing about the value: an error of the server's, not a read.
            return new KeyRead(call with { Outcome = CallOutcome.ServerError, Detail = "unreadable answer: " + e.Message }, null, 0);
        }
    }

    /// <summary><c>PUT /v1/kv/{key}</c> with a JSON body, conditional on the key's modRevision when given.</summary>
    public Task<CallResult> PutAsync(MemberSpec member, string key, string json, long? ifMatchRevision, CancellationToken abort)
        => SendAsync(HttpMethod.Put, $"{member.Url}/v1/kv/{key}", json, ifMatchRevision, abort);

    /// <summary>A fenced <c>PUT /v1/kv/{key}</c>: applied only while <paramref name="fence"/> (<c>{lock}:{token}</c>) is the lock's current grant.</summary>
    public Task<CallResult> PutFencedAsync(MemberSpec member, string key, string json, string fence, CancellationToken abort)
        => SendAsync(HttpMethod.Put, $"{member.Url}/v1/kv/{key}", json, null, abort, [new(HeaderNames.FencingToken, fence)]);

    /// <summary>POSTs a JSON body (or none) to a path of the API, e.g. <c>/v1/leases</c>.</summary>
    public Task<CallResult> PostAsync(MemberSpec member, string path, string? json, CancellationToken abort)
        => SendAsync(HttpMethod.Post, member.Url + path, json ?? "", null, abort);

    /// <summary>DELETEs a path of the API, e.g. <c>/v1/locks/x?token=3</c>.</summary>
    public Task<CallResult> DeleteAsync(MemberSpec member, string path, CancellationToken abort)
        => SendAsync(HttpMethod.Delete, member.Url + path, null, null, abort);

    /// <summary>One page of <c>GET /v1/kv/{prefix}?prefix</c> (linearizable).</summary>
    public async Task<ListPage> ListAsync(MemberSpec member, string prefix, string? after, int limit, CancellationToken abort)
    {
        var uri = new StringBuilder($"{member.Url}/v1/kv/{prefix}?prefix&limit={limit.ToString(CultureInfo.InvariantCulture)}");
        if (after is not null)
            uri.Append("&after=").Append(Uri.EscapeDataString(after));
        var call = await SendAsync(HttpMethod.Get, uri.ToString(), body: null, ifMatch: null, abort).ConfigureAwait(false);
        if (call.Outcome != CallOutcome.Ok)
            return new ListPage(call, [], null);
        try
        {
            using var document = JsonDocument.Parse(call.Body ?? "");
            var root = document.RootElement;
            var entries = new List<ListedKey>();
            foreach (var record in root.GetProperty("kvs").EnumerateArray())
                entries.Add(new(record.GetProperty("key").GetString() ?? "", record.GetProperty("value").GetRawText(), record.GetProperty("modRevision").GetInt64()));
            var more = root.TryGetProperty("more", out var moreElement) && moreElement.GetBoolean();
            var next = more ? root.GetProperty("next").GetString() : null;
            return new ListPage(call, entries, next);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new ListPage(call with { Outcome = CallOutcome.ServerError, Detail = "unreadable listing: " + e.Message }, [], null);
        }
    }

    /// <summary><c>PUT /v1/kv/{key}?raw</c>: stores the bytes as they are (application/octet-stream).</summary>
    public async Task<CallResult> PutRawAsync(MemberSpec member, string key, byte[] value, CancellationToken abort)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{member.Url}/v1/kv/{key}?raw") { Content = new ByteArrayContent(value) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var (call, _, _) = await ExchangeAsync(request, wantBytes: false, abort).ConfigureAwait(false);
        return call;
    }

    /// <summary>
    /// <c>GET /v1/kv/{key}?raw</c> (linearizable): the stored bytes as they are, with their media type (a JSON value's
    /// bytes are its JSON text). A 404 is a successful read of an absent key.
    /// </summary>
    public async Task<RawRead> ReadRawAsync(MemberSpec member, string key, CancellationToken abort)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{member.Url}/v1/kv/{key}?raw");
        var (call, bytes, mediaType) = await ExchangeAsync(request, wantBytes: true, abort).ConfigureAwait(false);
        return new RawRead(call, call.Outcome == CallOutcome.Ok ? bytes : null, mediaType);
    }

    /// <summary>Sends one request and classifies how it ended. Never throws for anything the network or server does.</summary>
    public async Task<CallResult> SendAsync(HttpMethod method, string uri, string? body, long? ifMatch, CancellationToken abort, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (ifMatch is { } revision)
            request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"" + revision.ToString(CultureInfo.InvariantCulture) + "\""));
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
                request.Headers.TryAddWithoutValidation(name, value);
        }

        var (call, _, _) = await ExchangeAsync(request, wantBytes: false, abort).ConfigureAwait(false);
        return call;
    }

    // One request within the operation timeout. With wantBytes a 2xx body is returned as bytes (raw values) rather
    // than kept as text in the result; error bodies are always text (problem details).
    private async Task<(CallResult Call, byte[]? Bytes, string? MediaType)> ExchangeAsync(HttpRequestMessage request, bool wantBytes, CancellationToken abort)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(abort);
        deadline.CancelAfter(OperationTimeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (wantBytes && response.IsSuccessStatusCode)
            {
                var bytes = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
                return (Classify(response.StatusCode, "") with { Body = null }, bytes, mediaType);
            }

            var text = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
            return (Classify(response.StatusCode, text), null, mediaType);
        }
        catch (OperationCanceledException)
        {
            return (new CallResult(CallOutcome.TimedOut, 0, null, abort.IsCancellationRequested ? "aborted" : null), null, null);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
        {
            // The connection was never established, so the request was never sent.
            return (new CallResult(CallOutcome.Refused, 0, null, e.InnerException?.Message ?? e.Message), null, null);
        }
        catch (HttpRequestException e)
        {
            return (new CallResult(CallOutcome.Broken, 0, null, e.InnerException?.Message ?? e.Message), null, null);
        }
        catch (IOException e)
        {
            return (new CallResult(CallOutcome.Broken, 0, null, e.Message), null, null);
        }
    }

    internal static CallResult Classify(HttpStatusCode status, string body)
    {
        var code = (int)status;
        var outcome = code switch
        {
            >= 200 and < 300 => CallOutcome.Ok,
            404 => CallOutcome.NotFound,
            412 => CallOutcome.PreconditionFailed,
            421 => CallOutcome.Misdirected,
            503 => CallOutcome.NoLeader,
            504 => CallOutcome.OutcomeUnknown,
            >= 400 and < 500 => CallOutcome.Rejected,
            _ => CallOutcome.ServerError,
        };
        return new CallResult(outcome, code, body, outcome is CallOutcome.Ok or CallOutcome.NotFound ? null : ProblemDetail(body, code));
    }

    // The RFC 9457 detail (or title) of a problem answer, shortened for the history.
    private static string ProblemDetail(string body, int code)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && (document.RootElement.TryGetProperty("detail", out var detail) || document.RootElement.TryGetProperty("title", out detail))
                && detail.GetString() is { } text)
                return $"{code} {Shorten(text)}";
        }
        catch (JsonException)
        {
            // not a problem body
        }

        return code.ToString(CultureInfo.InvariantCulture);
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "...";

    public void Dispose() => http.Dispose();
}
