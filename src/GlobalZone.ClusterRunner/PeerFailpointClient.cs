using System.Net.Http.Json;
using GlobalZone.Contracts.Testing;

namespace GlobalZone.ClusterRunner;

/// <summary>
/// TEST-ONLY: arms and reads a member's peer failpoints (<see cref="PeerFailpointRoutes.Failpoints"/>); the member must
/// have been started with <c>GlobalZone:Testing:EnablePeerFailpoints=true</c> (see <see cref="EnableSetting"/>).
/// </summary>
public static class PeerFailpointClient
{
    /// <summary>The <see cref="ClusterSettings.Extra"/> entry that turns the failpoints on in every member.</summary>
    public static KeyValuePair<string, string> EnableSetting => new("Testing:EnablePeerFailpoints", "true");

    /// <summary>
    /// The route is member-to-member (<c>/internal</c>), so it is refused (403) without the cluster's name in this header
    /// (the server's <c>ClusterNameGuard.HeaderName</c>; this library does not reference the server).
    /// </summary>
    private const string ClusterNameHeader = "X-GZ-Cluster";

    /// <summary>Arms (or disarms) one failpoint on <paramref name="on"/>; throws when the member refuses.</summary>
    /// <exception cref="HttpRequestException">The member did not accept the failpoint (off, unknown target, unreachable).</exception>
    public static async Task<PeerFailpointState> ArmAsync(HttpClient http, string clusterName, MemberSpec on, PeerFailpointRequest request, CancellationToken token)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, on.Url + PeerFailpointRoutes.Failpoints)
        {
            Content = JsonContent.Create(request, PeerFailpointJsonContext.Default.PeerFailpointRequest),
        };
        message.Headers.Add(ClusterNameHeader, clusterName);
        using var response = await http.SendAsync(message, token).ConfigureAwait(false);
        return await ReadStateAsync(response, on, token).ConfigureAwait(false);
    }

    /// <summary>The failpoints armed on <paramref name="on"/>.</summary>
    /// <exception cref="HttpRequestException">The member did not answer with its failpoints.</exception>
    public static async Task<PeerFailpointState> GetAsync(HttpClient http, string clusterName, MemberSpec on, CancellationToken token)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, on.Url + PeerFailpointRoutes.Failpoints);
        message.Headers.Add(ClusterNameHeader, clusterName);
        using var response = await http.SendAsync(message, token).ConfigureAwait(false);
        return await ReadStateAsync(response, on, token).ConfigureAwait(false);
    }

    private static async Task<PeerFailpointState> ReadStateAsync(HttpResponseMessage response, MemberSpec on, CancellationToken token)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
            throw new HttpRequestException($"{on.Id} refused the failpoint request ({(int)response.StatusCode}): {body}", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync(PeerFailpointJsonContext.Default.PeerFailpointState, token).ConfigureAwait(false)
               ?? throw new HttpRequestException($"{on.Id} answered an empty failpoint state.");
    }
}
