using System.CommandLine;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz health --url URL [--ready]</c>: exit 0 when one member answers <c>/healthz</c> (alive) or <c>/readyz</c>
/// (in a group with a leader) with 200. Made for container health checks and scripts (the runtime image has no curl).
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The member to ask", DefaultValueFactory = _ => "http://127.0.0.1:7100" };
        var ready = new Option<bool>("--ready") { Description = "Ask /readyz (a leader is known) instead of /healthz (the process serves)" };
        var command = new Command("health", "Check one member's /healthz or /readyz (exit 0 when healthy)") { url, ready };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var member = CliOptions.ParseEndpoints(result.GetValue(url)!)[0];
            using var http = new GzHttp([member], TimeSpan.FromSeconds(3));
            var path = result.GetValue(ready) ? "/readyz" : "/healthz";
            using var response = await http.SendToAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(member, path)), token);
            var body = await response.Content.ReadAsStringAsync(token);
            Console.WriteLine($"{(int)response.StatusCode} {body}");
            return response.IsSuccessStatusCode ? ExitCodes.Ok : ExitCodes.Unavailable;
        }));
        return command;
    }
}
