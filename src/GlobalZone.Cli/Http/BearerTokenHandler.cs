using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Http;

/// <summary>
/// Signs gz's requests in as <c>--user</c>: exchanges the name and password for a bearer token at the member the first
/// request goes to (<c>POST /v1/auth/token</c>), keeps it until shortly before it expires, and adds it to every request.
/// While auth is off the cluster issues no token and requests go without one.
/// </summary>
internal sealed class BearerTokenHandler(string user, string password, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim gate = new(1, 1);
    private string? token;
    private DateTimeOffset refreshAt = DateTimeOffset.MinValue;
    private bool authOff;
    private IssuedToken? current;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && !request.RequestUri.AbsolutePath.StartsWith("/v1/auth/token", StringComparison.Ordinal)
            && await GetTokenAsync(new Uri(uri.GetLeftPart(UriPartial.Authority)), cancellationToken).ConfigureAwait(false) is { } bearer)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<string?> GetTokenAsync(Uri member, CancellationToken cancellationToken)
    {
        // Without the gate while the token is good: a benchmark's clients would otherwise queue on it every request.
        if (Volatile.Read(ref current) is { } valid && DateTimeOffset.UtcNow < valid.RefreshAt)
            return valid.Token;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (authOff || (token is not null && DateTimeOffset.UtcNow < refreshAt))
                return token;
            var body = JsonSerializer.Serialize(new AuthTokenRequest { Name = user, Password = password }, ContractsJsonContext.Default.AuthTokenRequest);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(member, "/v1/auth/token"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            using var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                authOff = true;
                return null;
            }

            await GzHttp.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            var issued = await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false),
                ContractsJsonContext.Default.AuthToken, cancellationToken).ConfigureAwait(false) ?? throw new GzException("The token answer was empty.");
            token = issued.Token;
            // Refresh ahead of expiry, by the margin or half the lifetime for very short tokens.
            var lifetime = TimeSpan.FromSeconds(issued.TtlSeconds);
            refreshAt = DateTimeOffset.UtcNow + lifetime - TimeSpan.FromTicks(Math.Min(RefreshMargin.Ticks, lifetime.Ticks / 2));
            Volatile.Write(ref current, new IssuedToken(token, refreshAt));
            return token;
        }
        finally
        {
            gate.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            gate.Dispose();
        base.Dispose(disposing);
    }

    private sealed record IssuedToken(string Token, DateTimeOffset RefreshAt);
}
