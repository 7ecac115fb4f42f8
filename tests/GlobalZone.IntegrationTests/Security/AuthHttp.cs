using System.Text.Json;
using GlobalZone.IntegrationTests.Api;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>Users, roles and tokens over plain HTTP, as a test drives them.</summary>
internal static class AuthHttp
{
    public static (string, string) Bearer(string token) => ("Authorization", "Bearer " + token);

    public static async Task<string> TokenAsync(HttpClient client, string user, string password)
    {
        var answer = await ApiHttp.SendAsync(client, "POST", "/v1/auth/token", Json(new { name = user, password }));
        Assert.True(answer.Code == 200, $"token for {user}: {answer}");
        return answer.Body.GetProperty("token").GetString()!;
    }

    public static async Task<ApiAnswer> AsAsync(HttpClient client, string? token, string method, string path, string? body = null)
        => await ApiHttp.SendAsync(client, method, path, body, token is null ? [] : [Bearer(token)]);

    /// <summary>Sends an admin change and insists it was applied.</summary>
    public static async Task<ApiAnswer> AdminAsync(HttpClient client, string? rootToken, string method, string path, object? body = null)
    {
        var answer = await AsAsync(client, rootToken, method, path, body is null ? null : Json(body));
        Assert.True(answer.Code is >= 200 and < 300, $"{method} {path}: {answer}");
        return answer;
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);

    public static string ProblemType(ApiAnswer answer)
        => answer.Body.ValueKind == JsonValueKind.Object && answer.Body.TryGetProperty("type", out var type) ? type.GetString() ?? "" : "";
}
