using System.CommandLine;
using System.Text;
using System.Text.Json;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Commands;

/// <summary>The HTTP the <c>gz user|role|auth</c> commands share: one call to any member, the answer as JSON or a problem.</summary>
internal static class AuthAdminHttp
{
    /// <summary>Sends the call (a change goes to one member, which forwards it to the leader) and returns the JSON answer, if any.</summary>
    public static async Task<JsonElement?> CallAsync(ParseResult result, HttpMethod method, string path, string? json, CancellationToken token)
    {
        using var http = CliOptions.CreateHttp(result, TimeSpan.FromSeconds(30));
        using var response = await http.SendAsync(endpoint =>
        {
            var request = new HttpRequestMessage(method, new Uri(endpoint, path));
            if (json is not null)
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            return request;
        }, token).ConfigureAwait(false);
        await GzHttp.EnsureSuccessAsync(response, token).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
        return text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary><c>name[:password]</c>; without a password, <c>GZ_NEW_PASSWORD</c> or a prompt.</summary>
    public static (string Name, string Password) NameAndPassword(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
            return (text[..colon], text[(colon + 1)..]);
        var fromEnvironment = Environment.GetEnvironmentVariable("GZ_NEW_PASSWORD");
        return (text, string.IsNullOrEmpty(fromEnvironment) ? CliAuth.Prompt($"New password for {text}: ") : fromEnvironment);
    }

    public static string Segment(string name) => Uri.EscapeDataString(name);

    public static void Print(ParseResult result, JsonElement? answer, Func<JsonElement, string> text)
    {
        if (answer is not { } body)
            return;
        Console.WriteLine(result.GetValue(CliOptions.Json) ? body.GetRawText() : text(body));
    }
}
