using System.Net.Http.Headers;
using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Client;

/// <summary>
/// Signs the harness's requests in a secure run: a bearer token for user root, fetched from any member and fetched
/// again well before it expires (tokens live 5 minutes by default; runs may be longer). A sign-in that fails is
/// retried on the next request, so a member that is down during a fault does not end the run; the request itself
/// then goes without a token and is refused (401), which the workload records as a failed operation.
/// </summary>
internal sealed class SignedInHandler(Func<IReadOnlyList<MemberProcess>> members, string user, string password, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private static readonly TimeSpan Renew = TimeSpan.FromMinutes(2);
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly HttpClient signIn = new(inner, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(5) };
    private (string Token, DateTime RenewAt)? current;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (await TokenAsync(cancellationToken).ConfigureAwait(false) is { } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string?> TokenAsync(CancellationToken cancellationToken)
    {
        if (current is { } valid && DateTime.UtcNow < valid.RenewAt)
            return valid.Token;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (current is { } again && DateTime.UtcNow < again.RenewAt)
                return again.Token;
            try
            {
                var token = await LocalAuth.SignInAsync(signIn, members().Where(m => m.IsRunning && !m.IsPaused && !m.Spec.IsWitness), user, password, cancellationToken).ConfigureAwait(false);
                current = (token, DateTime.UtcNow + Renew);
                return token;
            }
            catch (InvalidOperationException)
            {
                return current?.Token; // an older token may still be valid; else the request is refused and recorded
            }
        }
        finally
        {
            gate.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            signIn.Dispose();
            gate.Dispose();
        }

        base.Dispose(disposing);
    }
}
