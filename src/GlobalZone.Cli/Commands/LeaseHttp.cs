using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// The lease calls <c>gz lock</c> and <c>gz semaphore</c> make over <see cref="GzHttp"/>: they time their renewals
/// against the lock's TTL on the same handler as their lock calls. <c>gz lease</c> itself runs on GlobalZone.Client.
/// </summary>
internal static class LeaseHttp
{
    public static async Task<LeaseInfo> GrantAsync(GzHttp http, double ttl, long? id, CancellationToken token)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new LeaseGrantRequest { Ttl = ttl, Id = id }, ContractsJsonContext.Default.LeaseGrantRequest);
        return await SendForLeaseAsync(http, HttpMethod.Post, "/v1/leases", body, token);
    }

    public static Task<LeaseInfo> KeepAliveAsync(GzHttp http, long id, CancellationToken token)
        => SendForLeaseAsync(http, HttpMethod.Post, $"/v1/leases/{id.ToString(CultureInfo.InvariantCulture)}/keepalive", null, token);

    public static Task<LeaseInfo> RevokeAsync(GzHttp http, long id, CancellationToken token)
        => SendForLeaseAsync(http, HttpMethod.Delete, $"/v1/leases/{id.ToString(CultureInfo.InvariantCulture)}", null, token);

    private static async Task<LeaseInfo> SendForLeaseAsync(GzHttp http, HttpMethod method, string path, byte[]? body, CancellationToken token)
    {
        using var response = await http.SendAsync(e =>
        {
            var request = new HttpRequestMessage(method, new Uri(e, path));
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            }

            return request;
        }, token);
        await GzHttp.EnsureSuccessAsync(response, token);
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.LeaseInfo, token))!;
    }
}
