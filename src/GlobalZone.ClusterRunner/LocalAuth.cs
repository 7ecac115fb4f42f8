using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GlobalZone.ClusterRunner;

/// <summary>
/// Turns authentication on for a local cluster the way an operator would (etcd's order: user <c>root</c>, its role
/// <c>root</c>, then <c>auth enable</c>), with a random password kept in <c>DATA/auth/root-password</c> (mode 0600)
/// so that a cluster started again from the same folder is still reachable. Used by <c>gz local --auth</c> and by
/// the harness when it runs with security on.
/// </summary>
public static class LocalAuth
{
    public const string RootUser = "root";

    /// <summary>Where the root password of the cluster in <paramref name="root"/> is kept.</summary>
    public static string PasswordFile(string root) => Path.Combine(root, "auth", "root-password");

    /// <summary>
    /// Ensures auth is on with user root; returns root's password (made and stored on first use, read back later).
    /// Idempotent: a cluster that already has auth on is left as it is.
    /// </summary>
    public static async Task<string> EnableAsync(LocalCluster cluster, CancellationToken token)
    {
        var file = PasswordFile(cluster.Settings.RootDirectory);
        string password;
        if (File.Exists(file))
        {
            password = (await File.ReadAllTextAsync(file, token).ConfigureAwait(false)).Trim();
        }
        else
        {
            password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, password + "\n", token).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        using var http = new HttpClient(cluster.CreateHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60), cluster.Voters, token).ConfigureAwait(false);
        var status = await http.GetFromJsonAsync<JsonElement>($"{leader.Url}/v1/auth/status", token).ConfigureAwait(false);
        if (status.GetProperty("enabled").GetBoolean())
            return password;

        await SendAsync(http, HttpMethod.Post, $"{leader.Url}/v1/auth/users", JsonSerializer.Serialize(new { name = RootUser, password }), [HttpStatusCode.Created, HttpStatusCode.Conflict], token).ConfigureAwait(false);
        await SendAsync(http, HttpMethod.Put, $"{leader.Url}/v1/auth/users/{RootUser}/roles/{RootUser}", null, [HttpStatusCode.OK], token).ConfigureAwait(false);
        await SendAsync(http, HttpMethod.Post, $"{leader.Url}/v1/auth/enable", null, [HttpStatusCode.OK], token).ConfigureAwait(false);
        return password;
    }

    /// <summary>A token for <paramref name="user"/> from any member that answers.</summary>
    public static async Task<string> SignInAsync(HttpClient http, IEnumerable<MemberProcess> members, string user, string password, CancellationToken token)
    {
        Exception? last = null;
        foreach (var member in members)
        {
            try
            {
                using var response = await http.PostAsync($"{member.Url}/v1/auth/token",
                    new StringContent(JsonSerializer.Serialize(new { name = user, password }), Encoding.UTF8, "application/json"), token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return (await response.Content.ReadFromJsonAsync<JsonElement>(token).ConfigureAwait(false)).GetProperty("token").GetString()!;
                last = new InvalidOperationException($"{member.Id} answered {(int)response.StatusCode} to sign-in");
            }
            catch (HttpRequestException e)
            {
                last = e;
            }
        }

        throw new InvalidOperationException($"no member signed {user} in", last);
    }

    private static async Task SendAsync(HttpClient http, HttpMethod method, string url, string? json, HttpStatusCode[] accepted, CancellationToken token)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, MediaTypeHeaderValue.Parse("application/json"));
        using var response = await http.SendAsync(request, token).ConfigureAwait(false);
        if (!accepted.Contains(response.StatusCode))
            throw new InvalidOperationException($"{method} {url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(token).ConfigureAwait(false)}");
    }
}
