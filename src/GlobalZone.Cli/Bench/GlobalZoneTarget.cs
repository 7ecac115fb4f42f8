using System.Net.Http.Headers;
using System.Text;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Bench;

/// <summary>
/// GlobalZone's HTTP API: <c>PUT /v1/kv/{key}</c> with a JSON string value, <c>GET /v1/kv/{key}</c> (linearizable,
/// or <c>?consistency=stale</c>). Client i talks to member i mod n, so the voters share the clients round-robin.
/// </summary>
internal sealed class GlobalZoneTarget : IBenchTarget
{
    private readonly HttpClient http;
    private readonly Uri[] members;
    private readonly byte[] value;
    private readonly string prefix;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private GlobalZoneTarget(HttpClient http, Uri[] members, int valueSize, string prefix, string description)
    {
        this.http = http;
        this.members = members;
        this.prefix = prefix;
        Description = description;
        // A JSON string of exactly valueSize bytes, quotes included.
        value = Encoding.ASCII.GetBytes("\"" + new string('x', Math.Max(0, valueSize - 2)) + "\"");
    }

    public string Description { get; }

    /// <summary>Targets <paramref name="member"/> alone, or every voter the endpoints' member list names.</summary>
    public static async Task<GlobalZoneTarget> CreateAsync(BenchSettings settings, Uri? member, CancellationToken token)
    {
        HttpMessageHandler handler = GzHttp.CreateHandler(Math.Max(settings.Clients, 4));
        if (settings.Credentials is { } signIn)
            handler = new BearerTokenHandler(signIn.User, signIn.Password, handler);
        var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        if (member is not null)
            return new GlobalZoneTarget(http, [member], settings.ValueSize, settings.Prefix, $"one member {member.Authority}");

        using var probe = new GzHttp(settings.Endpoints, TimeSpan.FromSeconds(5));
        Contracts.ClusterStatus? status = null;
        foreach (var endpoint in settings.Endpoints)
        {
            status = await probe.TryGetStatusAsync(endpoint, TimeSpan.FromSeconds(3), token).ConfigureAwait(false);
            if (status is not null)
                break;
        }

        if (status is null)
            throw new GzException($"No member answered ({string.Join(", ", settings.Endpoints)}).", ExitCodes.Unavailable);
        var voters = status.Members.Where(m => !m.IsWitness).Select(m => new Uri(m.Url)).ToArray();
        return new GlobalZoneTarget(http, voters, settings.ValueSize, settings.Prefix,
            $"round-robin over {voters.Length} voters ({string.Join(", ", status.Members.Where(m => !m.IsWitness).Select(m => m.Id))}), leader {status.LeaderId ?? "none"}");
    }

    public async Task<string?> DescribeLeadershipAsync(CancellationToken token)
    {
        using var probe = new GzHttp(members, TimeSpan.FromSeconds(3));
        foreach (var member in members)
        {
            if (await probe.TryGetStatusAsync(member, TimeSpan.FromSeconds(2), token).ConfigureAwait(false) is { } status)
                return $"leader {status.LeaderId ?? "none"} term {status.Term}";
        }

        return null;
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
                    throw new GzException("Preloading keys failed: " + error);
            }
        })).ConfigureAwait(false);
    }

    public async Task<string?> WriteAsync(int client, string key, CancellationToken token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(members[client % members.Length], "/v1/kv/" + prefix + "/" + key))
        {
            Content = new ByteArrayContent(value),
        };
        request.Content.Headers.ContentType = Json;
        return await SendAsync(request, token).ConfigureAwait(false);
    }

    public async Task<string?> ReadAsync(int client, int keyIndex, bool stale, CancellationToken token)
    {
        var path = "/v1/kv/" + prefix + "/" + ReadKey(keyIndex) + (stale ? "?consistency=stale" : "");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(members[client % members.Length], path));
        return await SendAsync(request, token).ConfigureAwait(false);
    }

    private static string ReadKey(int index) => "keys/" + index.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string?> SendAsync(HttpRequestMessage request, CancellationToken token)
    {
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : "HTTP " + (int)response.StatusCode;
        }
        catch (HttpRequestException e)
        {
            return "connection: " + (e.HttpRequestError.ToString());
        }
        catch (TaskCanceledException) when (!token.IsCancellationRequested)
        {
            return "timeout";
        }
    }

    public void Dispose() => http.Dispose();
}
