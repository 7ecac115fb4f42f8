using System.Net.Http.Headers;
using System.Text;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Bench;

/// <summary>
/// etcd v3 through its JSON gateway (<c>POST /v3/kv/put</c>, <c>POST /v3/kv/range</c>, keys and values base64),
/// for comparing GlobalZone with etcd on the same machine, the same clients and the same HTTP/1.1 stack. A stale
/// read is etcd's <c>serializable</c> range. Client i talks to endpoint i mod n.
/// </summary>
internal sealed class EtcdTarget : IBenchTarget
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient http;
    private readonly Uri[] endpoints;
    private readonly string valueBase64;
    private readonly string prefix;

    public EtcdTarget(BenchSettings settings, Uri? member)
    {
        endpoints = member is null ? settings.Endpoints.ToArray() : [member];
        prefix = settings.Prefix;
        valueBase64 = Convert.ToBase64String(Encoding.ASCII.GetBytes(new string('x', settings.ValueSize)));
        http = new HttpClient(GzHttp.CreateHandler(Math.Max(settings.Clients, 4))) { Timeout = TimeSpan.FromSeconds(10) };
        Description = member is null ? $"etcd round-robin over {endpoints.Length} endpoints" : $"etcd member {member.Authority}";
    }

    public string Description { get; }

    public async Task<string?> DescribeLeadershipAsync(CancellationToken token)
    {
        // The gateway's status call names the leader by member id, and its header carries the term.
        try
        {
            using var content = new StringContent("{}", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri(endpoints[0], "/v3/maintenance/status"), content, token).ConfigureAwait(false);
            using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(token).ConfigureAwait(false));
            var root = document.RootElement;
            return $"leader {root.GetProperty("leader").GetString()} term {root.GetProperty("raftTerm").GetString()}";
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public async Task PreloadAsync(int keys, int concurrency, CancellationToken token)
    {
        var next = -1;
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async client =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < keys)
            {
                if (await WriteAsync(client, ReadKey(i), token).ConfigureAwait(false) is { } error && Interlocked.Increment(ref failures) > 100)
                    throw new GzException("Preloading etcd keys failed: " + error);
            }
        })).ConfigureAwait(false);
    }

    public Task<string?> WriteAsync(int client, string key, CancellationToken token)
        => PostAsync(client, "/v3/kv/put", $$"""{"key":"{{Key(key)}}","value":"{{valueBase64}}"}""", token);

    public Task<string?> ReadAsync(int client, int keyIndex, bool stale, CancellationToken token)
        => PostAsync(client, "/v3/kv/range", stale ? $$"""{"key":"{{Key(ReadKey(keyIndex))}}","serializable":true}""" : $$"""{"key":"{{Key(ReadKey(keyIndex))}}"}""", token);

    private string Key(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + "/" + key));

    private static string ReadKey(int index) => "keys/" + index.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string?> PostAsync(int client, string path, string body, CancellationToken token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoints[client % endpoints.Length], path))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType = Json;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return "HTTP " + (int)response.StatusCode;
            // The gateway answers 200 with an "error" member for gRPC failures.
            var text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
            return text.Contains("\"error\"", StringComparison.Ordinal) ? "etcd error" : null;
        }
        catch (HttpRequestException e)
        {
            return "connection: " + e.HttpRequestError;
        }
        catch (TaskCanceledException) when (!token.IsCancellationRequested)
        {
            return "timeout";
        }
    }

    public void Dispose() => http.Dispose();
}
