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

    /// <summary>Arms (or disarms) one failpoint on <paramref name="on"/>; throws when the member refuses.</summary>
    /// <exception cref="HttpRequestException">The member did not accept the failpoint (off, unknown target, unreachable).</exception>
    public static async Task<PeerFailpointState> ArmAsync(HttpClient http, MemberSpec on, PeerFailpointRequest request, CancellationToken token)
    {
        using var response = await http.PostAsJsonAsync(on.Url + PeerFailpointRoutes.Failpoints, request, PeerFailpointJsonContext.Default.PeerFailpointRequest, token)
            .ConfigureAwait(false);
        return await ReadStateAsync(response, on, token).ConfigureAwait(false);
    }

    /// <summary>The failpoints armed on <paramref name="on"/>.</summary>
    /// <exception cref="HttpRequestException">The member did not answer with its failpoints.</exception>
    public static async Task<PeerFailpointState> GetAsync(HttpClient http, MemberSpec on, CancellationToken token)
    {
        using var response = await http.GetAsync(on.Url + PeerFailpointRoutes.Failpoints, token).ConfigureAwait(false);
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
