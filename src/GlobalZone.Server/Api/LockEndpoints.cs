using System.Globalization;
using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>/v1/locks/{name}</c>: acquire (POST <c>{"lease": id, "wait": seconds, "owner": "..."}</c>), release (DELETE with
/// <c>?lease=</c>, <c>?token=</c> or <c>If-Fencing-Token</c>), inspect (GET); <c>GET /v1/locks</c> lists held and
/// awaited locks. A grant carries a fencing token that strictly increases with every grant of the lock. A lock
/// cannot protect anything outside GlobalZone unless that thing checks the token: see the README.
/// </summary>
internal static partial class LockEndpoints
{
    public const double MaxWaitSeconds = 300;
    private const int MaxOwnerLength = 256;

    public static void MapLockApi(this IEndpointRouteBuilder app)
    {
        // A lock is checked as the key of its name: write to acquire or release, read to look.
        app.MapGet("/v1/locks", EndpointDocs.Handler(context => ListAsync(context))).RequireRead()
            .Doc("Locks", "List held or awaited locks.")
            .Query("prefix", "Only locks whose name starts with this.")
            .Query("consistency", "linearizable (default; any member, via a leader-confirmed read index) or stale (local state, never waits).")
            .Query("maxStaleness", "With consistency=stale: refuse (503 too-stale) if this member's data may be older than this (500ms, 5s, 1m): the time since the latest leader contact whose commit index it has applied, so a member whose apply lags refuses too (X-GZ-Data-Age-Ms says the age).")
            .ClientErrors()
            .Answers<LockList>(200, "OK");
        var group = app.MapGroup("/v1/locks");
        group.MapPost("/{**name}", EndpointDocs.Handler(context => AcquireAsync(context))).RequireWrite(KeyScope.LockName)
            .Doc("Locks", "Acquire a lock for a lease; with wait, queue first-in first-out up to that many seconds. Returns a fencing token.")
            .Path("name", "Lock name (same rules as keys).")
            .Body<LockAcquireRequest>()
            .ClientErrors()
            .WriteErrors()
            .Answers<LockGrant>(200, "Granted (or already held by this lease).")
            .Fails(404, "The lease does not exist.")
            .Fails(409, "Held by another lease (after waiting, if asked); or replay-superseded: an Idempotency-Key replay of a grant that is no longer current (the problem's lock names the holder).")
            .Fails(429, "Waiting would exceed GlobalZone:Limits:MaxLockWaitersPerLock or MaxLockWaiters (too-many-lock-waiters); nothing was applied, retry after Retry-After.");
        group.MapDelete("/{**name}", EndpointDocs.Handler(context => ReleaseAsync(context))).RequireWrite(KeyScope.LockName)
            .Doc("Locks", "Release a lock (or leave its queue).")
            .Path("name", "Lock name.")
            .Query("lease", "The holding (or waiting) lease.", "integer")
            .Query("token", "The fencing token of the grant.", "integer")
            .ClientErrors()
            .WriteErrors()
            .Answers<LockInfo>(200, "The lock after the release.")
            .Fails(404, "Neither held nor awaited.")
            .Fails(409, "Held by another lease or grant.");
        group.MapGet("/{**name}", EndpointDocs.Handler(context => GetAsync(context))).RequireRead(KeyScope.LockName)
            .Doc("Locks", "Inspect a lock: holder and waiters in order.")
            .Path("name", "Lock name.")
            .Query("consistency", "linearizable (default; any member, via a leader-confirmed read index) or stale (local state, never waits).")
            .Query("maxStaleness", "With consistency=stale: refuse (503 too-stale) if this member's data may be older than this (500ms, 5s, 1m): the time since the latest leader contact whose commit index it has applied, so a member whose apply lags refuses too (X-GZ-Data-Age-Ms says the age).")
            .ClientErrors()
            .Answers<LockInfo>(200, "OK");
        MapSharedLockApi(app);
    }

    private static async Task AcquireAsync(HttpContext context, LockKind kind = LockKind.Exclusive)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (await ReadNameAsync(context) is not { } name || await ReadShapeAsync(context, kind) is not { } shape)
            return;
        if (!IdempotencyHeader.TryRead(context, out var idempotencyKey, out var problem))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, problem!);
            return;
        }

        var request = await RequestJson.ReadAsync(context, RequestJsonContext.Default.LockAcquireRequest, RequestJson.EnvelopeBytes);
        if (request is null)
            return;
        if (request.Lease <= 0)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "lease must be the id of a lease you hold (POST /v1/leases).");
            return;
        }

        if (request.Wait is { } w && (!double.IsFinite(w) || w < 0 || w > MaxWaitSeconds))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, $"wait must be a number of seconds from 0 to {MaxWaitSeconds}.");
            return;
        }

        if (request.Owner is { Length: > MaxOwnerLength } || request.Owner?.Any(char.IsControl) == true)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, $"owner must be up to {MaxOwnerLength} printable characters.");
            return;
        }

        var wait = TimeSpan.FromSeconds(request.Wait ?? 0);
        var waits = wait > TimeSpan.Zero;
        // Listen before asking, so a grant that lands between the answer and the wait is not missed.
        var granted = new TaskCompletionSource<LockRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLockChanged(string changed, LockRecord? record)
        {
            if (changed == name && record?.HolderOf(request.Lease) is not null)
                granted.TrySetResult(record);
        }

        cluster.State.LockChanged += OnLockChanged;
        try
        {
            var command = context.RequestServices.GetRequiredService<Capacity.ProposalQuotas>()
                .Admit(new LockAcquireCommand(name, request.Lease, request.Owner ?? "", waits) { IdempotencyKey = idempotencyKey, Mode = shape.Mode, Limit = shape.Limit });
            var result = await cluster.ProposeAsync(command, context.RequestAborted);
            if (await CommandOutcome.TryWriteRefusalAsync(context, cluster, result, conflictType: ProblemTypes.LockKindConflict))
                return;
            if (result.Lock?.HolderOf(request.Lease) is not null)
            {
                await WriteGrantAsync(context, result.Lock, request.Lease);
                return;
            }

            if (waits && cluster.State.GetLock(name) is { } now && now.HolderOf(request.Lease) is not null)
            {
                await WriteGrantAsync(context, now, request.Lease);
                return;
            }

            if (waits)
            {
                try
                {
                    var record = await granted.Task.WaitAsync(wait, context.RequestAborted);
                    await WriteGrantAsync(context, record, request.Lease);
                    return;
                }
                catch (TimeoutException)
                {
                    // Give up the place in the queue, unless the lock arrived meanwhile: then it is ours.
                    var cancel = await cluster.ProposeAsync(new LockReleaseCommand(name, request.Lease, 0, OnlyIfWaiting: true), context.RequestAborted);
                    if (cancel.Lock?.HolderOf(request.Lease) is not null)
                    {
                        await WriteGrantAsync(context, cancel.Lock, request.Lease);
                        return;
                    }

                    result = cancel;
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    // The client left: leave the queue so the lock is not granted to nobody (best effort; the
                    // lease's expiry cleans up otherwise). Not awaited: the request is over.
                    _ = LeaveQueueAsync(cluster, name, request.Lease, context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LockEndpoints)));
                    throw;
                }
            }

            var current = cluster.State.GetLock(name) ?? result.Lock;
            await Problems.WriteAsync(context, StatusCodes.Status409Conflict, ProblemTypes.LockHeld, "The lock is held.",
                current?.AllHolders.Count > 0
                    ? $"Lock '{name}' is held by {current.DescribeHolders()}" + (current.WaiterCount > 0 ? $", {current.WaiterCount} waiting" : "") + (waits ? $"; still held after waiting {Durations.Describe(wait)}." : ".")
                    : $"Lock '{name}' was not granted" + (waits ? $" within {Durations.Describe(wait)}." : "."),
                currentRevision: cluster.State.Revision, lockInfo: LockJson.Info(current));
        }
        finally
        {
            cluster.State.LockChanged -= OnLockChanged;
        }
    }

    private static async Task ReleaseAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (await ReadNameAsync(context) is not { } name)
            return;
        var query = context.Request.Query;
        long lease = 0, token = 0;
        if (query.TryGetValue("lease", out var leaseText) && (!long.TryParse(leaseText, NumberStyles.None, CultureInfo.InvariantCulture, out lease) || lease <= 0))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "lease must be a lease id (a positive whole number).");
            return;
        }

        if (query.TryGetValue("token", out var tokenText) && (!long.TryParse(tokenText, NumberStyles.None, CultureInfo.InvariantCulture, out token) || token <= 0))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "token must be a fencing token (a positive whole number).");
            return;
        }

        if (!Fencing.TryRead(context, out var fence, out var problem) || !IdempotencyHeader.TryRead(context, out var idempotencyKey, out problem))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, problem!);
            return;
        }

        if (fence is not null)
        {
            if (fence.Lock != name || (token != 0 && token != fence.FencingToken))
            {
                await Problems.BadRequest(context, ProblemTypes.BadRequest, $"{HeaderNames.FencingToken} names another lock or token than the request.");
                return;
            }

            token = fence.FencingToken;
        }

        if (lease == 0 && token == 0)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "Say whose grant to release: ?lease=, ?token= or If-Fencing-Token.");
            return;
        }

        var result = await cluster.ProposeAsync(new LockReleaseCommand(name, lease, token) { IdempotencyKey = idempotencyKey }, context.RequestAborted);
        if (await CommandOutcome.TryWriteRefusalAsync(context, cluster, result, ProblemTypes.LockNotFound))
            return;
        await WriteInfoAsync(context, result.Lock is { } after ? LockJson.Info(after)! : LockJson.Free(name));
    }

    private static async Task GetAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (await ReadNameAsync(context) is not { } name || !await ReadConsistency.PrepareAsync(context, cluster))
            return;
        await WriteInfoAsync(context, LockJson.Info(cluster.State.GetLock(name)) ?? LockJson.Free(name));
    }

    private static async Task ListAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var prefix = context.Request.Query["prefix"].ToString();
        if (prefix.Length > 0 && KeyValidation.Problem(prefix) is { } prefixProblem)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidKey, prefixProblem);
            return;
        }

        if (!await ReadConsistency.PrepareAsync(context, cluster))
            return;
        // Only the locks whose names the caller may read are listed (all of them while auth is off).
        var locks = cluster.State.ListLocks(prefix).Where(l => KeyPermissions.Allows(context, l.Name, StateMachine.Auth.KeyAccess.Read))
            .Select(l => LockJson.Info(l)!).ToList();
        await KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK,
            writer => JsonSerializer.Serialize(writer, new LockList { Locks = locks }, ContractsJsonContext.Default.LockList));
    }

    private static Task WriteGrantAsync(HttpContext context, LockRecord record, long lease)
    {
        var grant = LockJson.Grant(record.Name, record.HolderOf(lease)!);
        context.Response.Headers.ETag = "\"" + grant.FencingToken.ToString(CultureInfo.InvariantCulture) + "\"";
        return KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK,
            writer => JsonSerializer.Serialize(writer, grant, ContractsJsonContext.Default.LockGrant));
    }

    private static Task WriteInfoAsync(HttpContext context, LockInfo info)
        => KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK,
            writer => JsonSerializer.Serialize(writer, info, ContractsJsonContext.Default.LockInfo));

    private static async Task<string?> ReadNameAsync(HttpContext context)
    {
        var name = context.Request.RouteValues["name"] as string;
        if (KeyValidation.Problem(context, name) is { } problem)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidKey, "Lock name: " + problem);
            return null;
        }

        return name;
    }

    /// <summary>Takes a waiter whose client left out of the queue; a failure is logged (the lease's expiry then does it).</summary>
    private static async Task LeaveQueueAsync(GlobalZoneCluster cluster, string name, long lease, ILogger logger)
    {
        try
        {
            await cluster.ProposeAsync(new LockReleaseCommand(name, lease, 0, OnlyIfWaiting: true), CancellationToken.None);
        }
        catch (Exception e)
        {
            LogLeaveQueueFailed(logger, e, name, lease);
        }
    }

    [LoggerMessage(EventId = 2241, Level = LogLevel.Warning, Message = "Could not take lease {Lease} out of the queue of lock {Lock} after its client left; the lease's expiry will")]
    private static partial void LogLeaveQueueFailed(ILogger logger, Exception error, string @lock, long lease);
}
