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
}
