using System.Globalization;
using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Auth;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>/v1/leases</c>: grant (POST, <c>{"ttl": seconds}</c>), list (GET), inspect (GET <c>/{id}</c>, with
/// <c>?keys</c> for its keys), keep alive (POST <c>/{id}/keepalive</c>), revoke (DELETE <c>/{id}</c>). Keys put with
/// <c>?lease=</c> (or a transaction's <c>lease</c>) are deleted when the lease is revoked or expires, and locks it
/// holds are released. Every change is a command in the log; expiry is the leader's decision (see LeaseKeeper).
/// </summary>
internal static class LeaseEndpoints
{
    public const double MinTtlSeconds = 1;
    public const double MaxTtlSeconds = KeyValueStateMachine.MaxLeaseTtlMs / 1000.0;

    public static void MapLeaseApi(this IEndpointRouteBuilder app)
    {
        // A lease has no key of its own; it is for writing keys, so write access somewhere is what it takes.
        var group = app.MapGroup("/v1/leases").RequireWrite();
        group.MapPost("", EndpointDocs.Handler(context => GrantAsync(context)))
            .Doc("Leases", "Grant a lease.")
            .Body<LeaseGrantRequest>()
            .ClientErrors()
            .WriteErrors()
            .Answers<LeaseInfo>(201, "Granted; Location is the lease.")
            .Fails(409, "The requested id exists.")
            .Fails(429, "The cluster holds GlobalZone:Limits:MaxLeases leases (too-many-leases); nothing was applied, retry after Retry-After.");
        group.MapGet("", EndpointDocs.Handler(context => ListAsync(context)))
            .Doc("Leases", "List leases.")
            .Query("consistency", "linearizable (default; any member, via a leader-confirmed read index) or stale (local state, never waits).")
            .Query("maxStaleness", "With consistency=stale: refuse (503 too-stale) if this member's data may be older than this (500ms, 5s, 1m): the time since the latest leader contact whose commit index it has applied, so a member whose apply lags refuses too (X-GZ-Data-Age-Ms says the age).")
            .ClientErrors()
            .Answers<LeaseList>(200, "OK");
        group.MapGet("/{id}", EndpointDocs.Handler(context => GetAsync(context)))
            .Doc("Leases", "Inspect a lease: TTL, time left on the answering member's countdown, keys (?keys).")
            .Path("id", "Lease id.", "integer")
            .Query("keys", "Include attached keys.", "boolean")
            .Query("consistency", "linearizable (default; any member, via a leader-confirmed read index) or stale (local state, never waits).")
            .Query("maxStaleness", "With consistency=stale: refuse (503 too-stale) if this member's data may be older than this (500ms, 5s, 1m): the time since the latest leader contact whose commit index it has applied, so a member whose apply lags refuses too (X-GZ-Data-Age-Ms says the age).")
            .ClientErrors()
            .Answers<LeaseInfo>(200, "OK")
            .Fails(404, "No such lease.");
        group.MapPost("/{id}/keepalive", EndpointDocs.Handler(context => KeepAliveAsync(context)))
            .Doc("Leases", "Renew a lease: a full TTL from now.")
            .Path("id", "Lease id.", "integer")
            .ClientErrors()
            .WriteErrors()
            .Answers<LeaseInfo>(200, "OK")
            .Fails(404, "No such lease (expired or revoked).")
            .Fails(409, "replay-superseded: an Idempotency-Key replay of a keep-alive whose lease has since ended.");
        group.MapDelete("/{id}", EndpointDocs.Handler(context => RevokeAsync(context)))
            .Doc("Leases", "Revoke a lease: its keys are deleted (one revision), its locks released.")
            .Path("id", "Lease id.", "integer")
            .ClientErrors()
            .WriteErrors()
            .Answers<LeaseInfo>(200, "Revoked (revision, deleted).")
            .Fails(404, "No such lease.");
    }

    private static async Task GrantAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (!IdempotencyHeader.TryRead(context, out var idempotencyKey, out var problem))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, problem!);
            return;
        }

        var request = await RequestJson.ReadAsync(context, RequestJsonContext.Default.LeaseGrantRequest, RequestJson.EnvelopeBytes);
        if (request is null)
            return;
        if (!double.IsFinite(request.Ttl) || request.Ttl < MinTtlSeconds || request.Ttl > MaxTtlSeconds)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest,
                $"ttl must be a number of seconds from {MinTtlSeconds} to {MaxTtlSeconds} (keep it well above the election timeout).");
            return;
        }

        if (request.Id is <= 0)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "id, when given, must be a positive whole number.");
            return;
        }

        var command = context.RequestServices.GetRequiredService<Capacity.ProposalQuotas>()
            .Admit(new LeaseGrantCommand(request.Id ?? 0, (long)Math.Round(request.Ttl * 1000)) { IdempotencyKey = idempotencyKey });
        var result = await cluster.ProposeAsync(command, context.RequestAborted);
        if (await CommandOutcome.TryWriteRefusalAsync(context, cluster, result))
            return;
        var lease = result.Lease!;
        context.Response.Headers.Location = "/v1/leases/" + lease.Id.ToString(CultureInfo.InvariantCulture);
        await WriteAsync(context, StatusCodes.Status201Created, Info(context, lease, fresh: true));
    }

    private static async Task ListAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (!await ReadConsistency.PrepareAsync(context, cluster))
            return;
        var leases = cluster.State.ListLeases().Select(l => Info(context, l, fresh: false)).ToList();
        await KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK,
            writer => JsonSerializer.Serialize(writer, new LeaseList { Leases = leases }, ContractsJsonContext.Default.LeaseList));
    }

    private static async Task GetAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (await ReadIdAsync(context) is not { } id || !await ReadConsistency.PrepareAsync(context, cluster))
            return;
        if (cluster.State.GetLease(id) is not { } lease)
        {
            await NotFoundAsync(context, cluster, id);
            return;
        }

        var info = Info(context, lease, fresh: false);
        // Only the keys the caller may read are named (all of them while auth is off).
        if (context.Request.Query.ContainsKey("keys"))
            info = info with { Keys = cluster.State.LeaseKeys(id).Where(key => KeyPermissions.Allows(context, key, KeyAccess.Read)).ToList() };
        await WriteAsync(context, StatusCodes.Status200OK, info);
    }

    private static async Task KeepAliveAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (await ReadIdAsync(context) is not { } id)
            return;
        if (!IdempotencyHeader.TryRead(context, out var idempotencyKey, out var problem))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, problem!);
            return;
        }

        var result = await cluster.ProposeAsync(new LeaseKeepAliveCommand(id) { IdempotencyKey = idempotencyKey }, context.RequestAborted);
        if (await CommandOutcome.TryWriteRefusalAsync(context, cluster, result))
            return;
        await WriteAsync(context, StatusCodes.Status200OK, Info(context, result.Lease!, fresh: true));
    }

    private static async Task RevokeAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (await ReadIdAsync(context) is not { } id)
            return;
        if (!IdempotencyHeader.TryRead(context, out var idempotencyKey, out var problem))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, problem!);
            return;
        }

        // As etcd: revoking deletes the lease's keys and releases its locks, so the caller must be allowed to write
        // every one of them. Checked against this member's state now; a key attached between this check and the
        // revocation's apply is deleted with the rest (the same window etcd has between its check and its apply).
        var touched = cluster.State.LeaseKeys(id).Concat(cluster.State.ListLocks("").Where(l => l.Holder?.Lease == id || l.Waiters.Any(w => w.Lease == id)).Select(l => l.Name));
        if (touched.FirstOrDefault(key => !KeyPermissions.Allows(context, key, KeyAccess.Write)) is { } denied)
        {
            await KeyPermissions.DenyAsync(context, denied, KeyAccess.Write);
            return;
        }

        var result = await cluster.ProposeAsync(new LeaseRevokeCommand(id) { IdempotencyKey = idempotencyKey }, context.RequestAborted);
        if (await CommandOutcome.TryWriteRefusalAsync(context, cluster, result))
            return;
        await WriteAsync(context, StatusCodes.Status200OK, new LeaseInfo
        {
            Id = id,
            Ttl = result.Lease!.TtlMs / 1000.0,
            Revision = result.Revision,
            Deleted = result.Operations.Count > 0 ? result.Operations[0].Deleted : 0,
        });
    }

    private static LeaseInfo Info(HttpContext context, LeaseRecord lease, bool fresh)
    {
        // Just granted or renewed through this member: the whole TTL is ahead, whatever the countdown says yet.
        var remaining = fresh ? TimeSpan.FromMilliseconds(lease.TtlMs) : context.RequestServices.GetRequiredService<LeaseKeeper>().Remaining(lease.Id);
        return new LeaseInfo
        {
            Id = lease.Id,
            Ttl = lease.TtlMs / 1000.0,
            Remaining = remaining is { } r ? Math.Round(r.TotalSeconds, 3) : null,
        };
    }

    private static async Task<long?> ReadIdAsync(HttpContext context)
    {
        var text = context.Request.RouteValues["id"] as string;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
            return id;
        await Problems.BadRequest(context, ProblemTypes.BadRequest, $"'{text}' is not a lease id (a positive whole number).");
        return null;
    }

    private static Task NotFoundAsync(HttpContext context, GlobalZoneCluster cluster, long id)
        => Problems.WriteAsync(context, StatusCodes.Status404NotFound, ProblemTypes.LeaseNotFound, "No such lease.",
            $"Lease {id} does not exist (expired or revoked?).", currentRevision: cluster.State.Revision);

    private static Task WriteAsync(HttpContext context, int status, LeaseInfo info)
        => KeyValueEndpoints.WriteJsonAsync(context, status, writer => JsonSerializer.Serialize(writer, info, ContractsJsonContext.Default.LeaseInfo));
}
