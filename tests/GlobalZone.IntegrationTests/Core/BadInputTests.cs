using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// Bad input to the key/value endpoints gets a 4xx with an RFC 9457 problem body — never a 500, never a crash —
/// and the member keeps working afterwards.
/// </summary>
public sealed class BadInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster? cluster;

    public async Task InitializeAsync()
        => cluster = await TestCluster.StartAsync("badinput", "1+0+0", output);

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    public static TheoryData<string, string, string?, string?, int> Cases() => new()
    {
        // method, path, body, content type, expected status
        { "PUT", "/v1/kv/bad", "{\"a\":", "application/json", 400 },
        { "PUT", "/v1/kv/bad", "{\"a\":1} trailing", "application/json", 400 },
        { "PUT", "/v1/kv/bad", "", "application/json", 400 },
        { "PUT", "/v1/kv/bad", "not json at all", "text/plain", 400 },
        { "PUT", "/v1/kv/bad", "\"" + new string('x', GlobalZone.Contracts.Limits.DefaultMaxValueBytes + 1_000) + "\"", "application/json", 413 },
        { "PUT", "/v1/kv/" + new string('k', 1025), "1", "application/json", 400 },
        { "PUT", "/v1/kv/", "1", "application/json", 400 },
        { "PUT", "/v1/kv/bad%01key", "1", "application/json", 400 },
        { "PUT", "/v1/kv/bad%FF%FEkey", "1", "application/json", 400 },
        { "PUT", "/v1/kv/bad?lease=-4", "1", "application/json", 400 },
        { "PUT", "/v1/kv/bad?lease=abc", "1", "application/json", 400 },
        { "GET", "/v1/kv/", null, null, 400 },
        { "GET", "/v1/kv/" + new string('k', 1025), null, null, 400 },
        { "GET", "/v1/kv/bad%FF", null, null, 400 },
        { "GET", "/v1/kv/x?consistency=sometimes", null, null, 400 },
        { "GET", "/v1/kv/x?prefix&limit=0", null, null, 400 },
        { "GET", "/v1/kv/x?prefix&limit=many", null, null, 400 },
        { "GET", "/v1/kv/never-written", null, null, 404 },
        { "DELETE", "/v1/kv/", null, null, 400 },
        { "DELETE", "/v1/kv/" + new string('k', 1025), null, null, 400 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RejectedWithProblemBody(string method, string path, string? body, string? contentType, int expected)
    {
        var client = cluster!.Client(cluster.Members[0]);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType!);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"{method} {path[..Math.Min(path.Length, 60)]}: expected {expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(expected, problem.GetProperty("status").GetInt32());
        Assert.StartsWith("https://globalzone.dev/problems/", problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));

        // The member still serves.
        Assert.True(await KvHttp.PutAsync(client, "still/alive", "true") > 0);
    }

    [Fact]
    public async Task NulInThePathIsRefusedByKestrelAndHarmsNothing()
    {
        // Kestrel itself refuses a request target holding %00 before any application code runs, so this 400
        // cannot carry a problem body; what matters is that it is a 4xx and the member keeps serving.
        var client = cluster!.Client(cluster.Members[0]);
        using var response = await client.DeleteAsync("/v1/kv/bad%00");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(await KvHttp.PutAsync(client, "still/alive", "true") > 0);
    }

    [Fact]
    public async Task BadConditionalHeadersAreRejected()
    {
        var client = cluster!.Client(cluster.Members[0]);
        foreach (var (header, value) in new[] { ("If-Match", "\"abc\""), ("If-None-Match", "\"5\""), ("Idempotency-Key", new string('i', 200)) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/kv/cond") { Content = new StringContent("1", Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation(header, value);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }
}
