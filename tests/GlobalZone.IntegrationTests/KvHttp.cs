using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace GlobalZone.IntegrationTests;

/// <summary>Small HTTP helpers the integration tests share (what a client does, spelled out).</summary>
internal static class KvHttp
{
    public static async Task<long> PutAsync(HttpClient client, string key, string jsonValue)
    {
        using var response = await client.PutAsync("/v1/kv/" + key, new StringContent(jsonValue, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT {key} via {client.BaseAddress} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("revision").GetInt64();
    }

    /// <summary>The key's value as JSON text, or null when absent (404).</summary>
    public static async Task<string?> GetValueAsync(HttpClient client, string key, string consistency = "linearizable")
    {
        using var response = await client.GetAsync($"/v1/kv/{key}?consistency={consistency}");
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {key} via {client.BaseAddress} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("value").GetRawText();
    }

    public static async Task<JsonElement> ClusterAsync(HttpClient client)
        => await client.GetFromJsonAsync<JsonElement>("/v1/cluster");

    /// <summary>Every key under <paramref name="prefix"/> in the member's local state (stale reads, keys only, paged), with its modRevision.</summary>
    public static async Task<Dictionary<string, long>> LocalModRevisionsAsync(HttpClient client, string prefix)
    {
        var records = new Dictionary<string, long>();
        string? after = null;
        while (true)
        {
            using var page = JsonDocument.Parse(await client.GetStringAsync(
                $"/v1/kv/{prefix}?prefix&keysOnly&consistency=stale&limit=5000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after))));
            foreach (var record in page.RootElement.GetProperty("kvs").EnumerateArray())
                records[record.GetProperty("key").GetString()!] = record.GetProperty("modRevision").GetInt64();
            if (!page.RootElement.GetProperty("more").GetBoolean())
                return records;
            after = page.RootElement.GetProperty("next").GetString();
        }
    }

    /// <summary>Asserts the member holds every acknowledged key at its acknowledged revision (after a linearizable read of the newest).</summary>
    public static async Task AssertHoldsAsync(HttpClient client, string prefix, IReadOnlyDictionary<string, long> acknowledged)
    {
        Assert.NotNull(await GetValueAsync(client, acknowledged.Keys.Max()!));
        var records = await LocalModRevisionsAsync(client, prefix);
        var missing = acknowledged.Where(a => records.GetValueOrDefault(a.Key) != a.Value).Select(a => a.Key).Order().Take(5).ToList();
        Assert.True(missing.Count == 0, $"{client.BaseAddress} lacks or differs on {string.Join(", ", missing)} ({acknowledged.Count} acknowledged)");
    }

    /// <summary>Polls <c>/healthz</c> until the member serves (a started process is not yet listening).</summary>
    public static Task UntilServingAsync(HttpClient client, string what)
        => Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await client.GetAsync("/healthz")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), what);
}
