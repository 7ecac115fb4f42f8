using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>An answer as the tests look at it: status, parsed JSON body (if any), headers.</summary>
internal sealed record ApiAnswer(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers, string Text, string? MediaType)
{
    public int Code => (int)Status;

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public long Revision => Body.GetProperty("revision").GetInt64();

    public override string ToString() => $"{Code} {Text}";
}

/// <summary>The client API spelled out for tests: JSON in, JSON out, headers visible.</summary>
internal static class ApiHttp
{
    public static async Task<ApiAnswer> SendAsync(HttpClient client, string method, string path, string? body = null,
        IEnumerable<(string Name, string Value)>? headers = null, string contentType = "application/json", CancellationToken token = default)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        foreach (var (name, value) in headers ?? [])
            request.Headers.TryAddWithoutValidation(name, value);
        using var response = await client.SendAsync(request, token);
        var text = await response.Content.ReadAsStringAsync(token);
        var json = default(JsonElement);
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType is { } media && media.Contains("json", StringComparison.Ordinal))
            json = JsonDocument.Parse(text).RootElement.Clone();
        return new ApiAnswer(response.StatusCode, json, response.Headers, text, response.Content.Headers.ContentType?.MediaType);
    }

    public static Task<ApiAnswer> PutAsync(HttpClient client, string key, string json, params (string, string)[] headers)
        => SendAsync(client, "PUT", "/v1/kv/" + key, json, headers);

    public static Task<ApiAnswer> GetAsync(HttpClient client, string path, params (string, string)[] headers)
        => SendAsync(client, "GET", path, null, headers);

    /// <summary>A read retried through a leader change (503/504/dead member), for checks that follow a failover.</summary>
    public static async Task<ApiAnswer> GetThroughFailoverAsync(HttpClient client, string path, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            try
            {
                var answer = await GetAsync(client, path);
                if (answer.Code is not (503 or 504) || DateTime.UtcNow > deadline)
                    return answer;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(100);
        }
    }

    public static Task<ApiAnswer> PostAsync(HttpClient client, string path, string json, params (string, string)[] headers)
        => SendAsync(client, "POST", path, json, headers);

    public static async Task<long> GrantLeaseAsync(HttpClient client, double ttlSeconds)
    {
        var answer = await PostAsync(client, "/v1/leases", $"{{\"ttl\":{ttlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}");
        Assert.True(answer.Code == 201, answer.ToString());
        return answer.Body.GetProperty("id").GetInt64();
    }

    /// <summary>
    /// A write the way a careful client does it: with an Idempotency-Key, retried on other members through elections
    /// (503), unknown outcomes (504) and dead connections, until it succeeds.
    /// </summary>
    public static async Task<ApiAnswer> PutWithRetriesAsync(Func<HttpClient> nextClient, string key, string json, string idempotencyKey, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var answer = await PutAsync(nextClient(), key, json, ("Idempotency-Key", idempotencyKey));
                if (answer.Code == 200)
                    return answer;
                if (answer.Code is not (503 or 504 or 421))
                    throw new InvalidOperationException($"PUT {key}: {answer}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // The member died under us; try another.
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"PUT {key} did not succeed within {timeout}.");
            await Task.Delay(50);
        }
    }
}
