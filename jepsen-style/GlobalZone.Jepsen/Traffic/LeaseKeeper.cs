using System.Globalization;
using System.Text.Json;
using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// One lock client's lease: granted on demand, kept alive in the background every third of its TTL, and given up
/// (a fresh one granted next time) once a keep-alive says it is gone. A paused client sends no keep-alives.
/// </summary>
internal sealed class LeaseKeeper(GzHttpClient http, TimeSpan ttl, CancellationToken stop)
{
    private readonly Lock gate = new();
    private long lease;
    private MemberSpec? member;
    private Task? loop;

    /// <summary>Set while the client is stalled: no keep-alives go out.</summary>
    public bool Paused { get; set; }

    /// <summary>A live lease id (granting one through <paramref name="target"/> if needed), or 0 with the failed call.</summary>
    public async Task<(long Lease, CallResult Call)> EnsureAsync(MemberSpec target, CancellationToken abort)
    {
        lock (gate)
        {
            if (lease != 0)
                return (lease, default);
        }

        var ttlText = ttl.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var call = await http.PostAsync(target, "/v1/leases", $$"""{"ttl":{{ttlText}}}""", abort).ConfigureAwait(false);
        if (call.Outcome != CallOutcome.Ok)
            return (0, call);
        using var document = JsonDocument.Parse(call.Body ?? "{}");
        var id = document.RootElement.GetProperty("id").GetInt64();
        lock (gate)
        {
            lease = id;
            member = target;
            loop ??= Task.Run(KeepAliveLoopAsync, CancellationToken.None);
        }

        return (id, call);
    }

    /// <summary>Forgets the lease (it expired, or the client gave it up); the next <see cref="EnsureAsync"/> grants another.</summary>
    public void Forget(long id)
    {
        lock (gate)
        {
            if (lease == id)
                lease = 0;
        }
    }

    /// <summary>Moves keep-alives to another member (the current one looked unusable).</summary>
    public void UseMember(MemberSpec target)
    {
        lock (gate)
            member = target;
    }

    private async Task KeepAliveLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ttl / 3, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            long id;
            MemberSpec? target;
            lock (gate)
            {
                id = lease;
                target = member;
            }

            if (id == 0 || target is null || Paused)
                continue;
            var call = await http.PostAsync(target, $"/v1/leases/{id.ToString(CultureInfo.InvariantCulture)}/keepalive", null, stop).ConfigureAwait(false);
            if (call.Outcome == CallOutcome.NotFound)
                Forget(id);
        }
    }
}
