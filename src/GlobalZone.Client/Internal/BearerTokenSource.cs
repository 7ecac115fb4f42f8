using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.Client.Internal;

/// <summary>
/// The <c>Authorization</c> header of every request: the fixed <see cref="GlobalZoneClientOptions.Token"/>, or a token
/// obtained with <see cref="GlobalZoneClientOptions.Username"/> and <see cref="GlobalZoneClientOptions.Password"/> from
/// the member the request goes to (<c>POST /v1/auth/token</c>; any member verifies any member's token) and fetched
/// again before it expires. While the cluster has auth off it issues no token; requests then go without one, and the
/// client asks again after <see cref="GlobalZoneClientOptions.DiscoveryInterval"/> in case auth was turned on.
/// </summary>
internal sealed class BearerTokenSource(Func<HttpClient> http, GlobalZoneClientOptions options, TimeProvider time)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private string? token;
    private DateTimeOffset renewAt = DateTimeOffset.MinValue;

    /// <summary>Whether a refused token can be replaced by signing in again.</summary>
    public bool CanRenew => options.Username is not null;

    /// <summary>Adds the header (fetching a token first when needed).</summary>
    /// <exception cref="GlobalZoneException">The cluster refused the user's name and password (401).</exception>
    public async Task AuthorizeAsync(HttpRequestMessage request, Uri member, CancellationToken cancellationToken)
    {
        var bearer = options.Token ?? (options.Username is null ? null : await CurrentAsync(member, cancellationToken).ConfigureAwait(false));
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
    }

    /// <summary>Forgets the token the cluster just refused (auth re-enabled, user re-created), so the next attempt signs in again.</summary>
    public void Invalidate(string? refused)
    {
        // Null too: a request sent without a token (auth was off) was refused, so auth is on now.
        if (refused == Volatile.Read(ref token))
            renewAt = DateTimeOffset.MinValue;
    }

    private async Task<string?> CurrentAsync(Uri member, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() < renewAt)
            return token;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (time.GetUtcNow() < renewAt)
                return token;
            var body = JsonSerializer.Serialize(new AuthTokenRequest { Name = options.Username!, Password = options.Password ?? "" }, ContractsJsonContext.Default.AuthTokenRequest);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(member, "v1/auth/token"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            using var response = await http().SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                // Auth is off: no token needed.
                Volatile.Write(ref token, null);
                renewAt = time.GetUtcNow() + options.DiscoveryInterval;
                return null;
            }

            if (!response.IsSuccessStatusCode)
                throw await ProblemReader.ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
            var issued = await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false),
                ContractsJsonContext.Default.AuthToken, cancellationToken).ConfigureAwait(false)
                ?? throw new GlobalZoneException(response.StatusCode, null, "The token answer was empty.");
            Volatile.Write(ref token, issued.Token);
            // Renew with a fifth of the lifetime left (at most a minute before), so a token never expires in flight.
            var lifetime = TimeSpan.FromSeconds(issued.TtlSeconds);
            renewAt = time.GetUtcNow() + lifetime - TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, lifetime.Ticks / 5));
            return issued.Token;
        }
        finally
        {
            gate.Release();
        }
    }
}
