using System.Net;
using System.Text.Json;
using GlobalZone.Client.Internal;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

// Leases: grant (kept alive in the background), inspect, renew, revoke.
public sealed partial class GlobalZoneClient
{
    /// <summary>Grants a lease of <paramref name="ttl"/>, renewed in the background until disposed.</summary>
    /// <param name="ttl">From 1 s to 7 days; keep it well above the cluster's election timeout.</param>
    /// <param name="options">Keep-alive settings, or a chosen id.</param>
    /// <param name="cancellationToken">Cancels the grant (a lease granted meanwhile expires by itself).</param>
    /// <exception cref="GlobalZoneException">The cluster refused the grant (bad TTL, id taken).</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<GlobalZoneLease> GrantLeaseAsync(TimeSpan ttl, LeaseOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (ttl < TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A lease lasts at least 1 s.");
        options ??= new LeaseOptions();
        var body = JsonSerializer.SerializeToUtf8Bytes(new LeaseGrantRequest { Ttl = ttl.TotalSeconds, Id = options.Id }, ContractsJsonContext.Default.LeaseGrantRequest);
        var idempotencyKey = NewIdempotencyKey();
        var requestedAt = Time.GetTimestamp();
        using var response = await Executor.SendAsync(RequestKind.Write, member =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, new Uri(member, "v1/leases")) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = JsonMedia;
            message.Headers.TryAddWithoutValidation(HeaderNames.IdempotencyKey, idempotencyKey);
            return message;
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var info = await ReadJsonAsync(response, ContractsJsonContext.Default.LeaseInfo, cancellationToken).ConfigureAwait(false);
        return new GlobalZoneLease(this, info, requestedAt, options);
    }

    /// <summary>A lease's TTL and remaining time (with <paramref name="withKeys"/>, its keys), or null when it does not exist.</summary>
    /// <exception cref="GlobalZoneException">The cluster refused the read.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<LeaseInfo?> GetLeaseAsync(long id, bool withKeys = false, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        // ReadQuery always names the consistency, so further parameters follow with '&'.
        var path = "v1/leases/" + KeyPath.Number(id) + ReadQuery(options) + (withKeys ? "&keys" : "");
        using var response = await Executor.SendAsync(RequestKind.Read, member => new HttpRequestMessage(HttpMethod.Get, new Uri(member, path)), cancellationToken)
            .ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, ContractsJsonContext.Default.LeaseInfo, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every lease the cluster holds, with its TTL and remaining time.</summary>
    /// <param name="options">Consistency of the read; null: <see cref="GlobalZoneClientOptions.DefaultConsistency"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="GlobalZoneException">The cluster refused the read.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<IReadOnlyList<LeaseInfo>> ListLeasesAsync(ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = "v1/leases" + ReadQuery(options);
        using var response = await Executor.SendAsync(RequestKind.Read, member => new HttpRequestMessage(HttpMethod.Get, new Uri(member, path)), cancellationToken)
            .ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await ReadJsonAsync(response, ContractsJsonContext.Default.LeaseList, cancellationToken).ConfigureAwait(false)).Leases;
    }

    /// <summary>Revokes a lease: its keys are deleted and its locks released.</summary>
    /// <returns>True when revoked; false when it did not exist (already expired or revoked).</returns>
    /// <exception cref="GlobalZoneException">The cluster refused the request.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<bool> RevokeLeaseAsync(long id, CancellationToken cancellationToken = default)
    {
        using var response = await SendRevokeAsync(id, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Revokes a lease and returns what the revoke did: its <see cref="LeaseInfo.Revision"/> and how many keys it deleted (<see cref="LeaseInfo.Deleted"/>).</summary>
    /// <returns>The revoke's result; null when the lease did not exist (already expired or revoked).</returns>
    /// <exception cref="GlobalZoneException">The cluster refused the request.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<LeaseInfo?> RevokeLeaseWithResultAsync(long id, CancellationToken cancellationToken = default)
    {
        using var response = await SendRevokeAsync(id, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, ContractsJsonContext.Default.LeaseInfo, cancellationToken).ConfigureAwait(false);
    }

    private Task<HttpResponseMessage> SendRevokeAsync(long id, CancellationToken cancellationToken)
    {
        var idempotencyKey = NewIdempotencyKey();
        return Executor.SendAsync(RequestKind.Write, member =>
        {
            var message = new HttpRequestMessage(HttpMethod.Delete, new Uri(member, "v1/leases/" + KeyPath.Number(id)));
            message.Headers.TryAddWithoutValidation(HeaderNames.IdempotencyKey, idempotencyKey);
            return message;
        }, cancellationToken);
    }

    /// <summary>
    /// Renews a lease once, by id (a lease this client did not grant, or one granted without keep-alive); a lease from
    /// <see cref="GrantLeaseAsync"/> renews itself.
    /// </summary>
    /// <returns>The lease with its new remaining time; null when the cluster no longer has it (expired or revoked).</returns>
    /// <exception cref="GlobalZoneException">The cluster refused the request.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public Task<LeaseInfo?> RenewLeaseAsync(long id, CancellationToken cancellationToken = default)
        => KeepAliveLeaseAsync(id, null, cancellationToken);

    /// <summary>Renews a lease once; null when the cluster no longer has it.</summary>
    internal async Task<LeaseInfo?> KeepAliveLeaseAsync(long id, RetryLimits? limits, CancellationToken cancellationToken)
    {
        var idempotencyKey = NewIdempotencyKey();
        using var response = await Executor.SendAsync(RequestKind.Write, member =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, new Uri(member, "v1/leases/" + KeyPath.Number(id) + "/keepalive"));
            message.Headers.TryAddWithoutValidation(HeaderNames.IdempotencyKey, idempotencyKey);
            return message;
        }, cancellationToken, limits: limits).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        // A retry of this keep-alive whose first attempt renewed the lease, which has ended since: the lease is gone.
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var problem = await ProblemReader.ReadAsync(response, cancellationToken).ConfigureAwait(false);
            if (problem?.Type == ProblemTypes.ReplaySuperseded)
                return null;
            throw ProblemReader.ToException(response, problem);
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, ContractsJsonContext.Default.LeaseInfo, cancellationToken).ConfigureAwait(false);
    }
}
