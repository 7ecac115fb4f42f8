using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalZone.Client.Diagnostics;
using GlobalZone.Contracts;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace GlobalZone.Client.Internal;

/// <summary>
/// Sends one logical request to the cluster, attempt after attempt, until a member gives an answer that is not about
/// availability: connection failures and timeouts move on to the next member, 503 waits what <c>Retry-After</c> says,
/// 504 (outcome unknown) retries — safe because every write carries one <c>Idempotency-Key</c> for all its attempts —
/// and 421 (the witness) is never asked again. 429 (a cluster-wide cap) waits what <c>Retry-After</c> says while that
/// fits in the budget — safe for every request, since a refusal applied nothing — and then throws
/// <see cref="GlobalZoneLimitExceededException"/>. Keeps the <see cref="ClusterTopology"/> fresh on the way.
/// </summary>
internal sealed partial class RequestExecutor
{
    private static readonly TimeSpan MinRefreshSpacing = TimeSpan.FromMilliseconds(250);

    private readonly Func<HttpClient> http;
    private readonly GlobalZoneClientOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly ResiliencePipeline<Attempt> failover;
    private readonly SemaphoreSlim discovery = new(1, 1);
    private readonly CancellationTokenSource stopping = new();
    private long lastRefreshTicks;
    private int refreshing;

    public RequestExecutor(Func<HttpClient> http, ClusterTopology topology, GlobalZoneClientOptions options, ILogger logger, TimeProvider time)
    {
        this.http = http;
        Topology = topology;
        this.options = options;
        this.logger = logger;
        this.time = time;
        failover = BuildFailover(time);
        DefaultLimits = new RetryLimits(options.MaxAttempts, options.RetryBudget);
        Credentials = new BearerTokenSource(http, options, time);
    }

    /// <summary>Signs every request in (see <see cref="GlobalZoneClientOptions.Username"/>).</summary>
    public BearerTokenSource Credentials { get; }

    public ClusterTopology Topology { get; }

    public RetryLimits DefaultLimits { get; }

    /// <summary>
    /// The first answer that is a result (2xx, or any status the caller interprets such as 404 or 412). Non-streaming
    /// answers are fully buffered within their attempt, so reading them cannot fail later. The caller disposes it.
    /// </summary>
    /// <param name="kind">Read or write: which members to prefer.</param>
    /// <param name="build">Builds a fresh request for a member's base URL, for each attempt.</param>
    /// <param name="attemptTimeout">Per-attempt timeout; null: <see cref="GlobalZoneClientOptions.RequestTimeout"/>.</param>
    /// <param name="streaming">Return once headers arrive (watches), leaving the body to the caller.</param>
    /// <param name="limits">Attempts and time; null: the client's options.</param>
    /// <param name="token">Cancels the whole operation.</param>
    /// <exception cref="GlobalZoneUnavailableException">No member gave a result within the limits.</exception>
    /// <exception cref="GlobalZoneLimitExceededException">A cap was reached and waiting for room would not fit in the limits.</exception>
    public async Task<HttpResponseMessage> SendAsync(RequestKind kind, Func<Uri, HttpRequestMessage> build, CancellationToken token,
        TimeSpan? attemptTimeout = null, bool streaming = false, RetryLimits? limits = null)
    {
        // One activity per operation, whatever its attempts: what a trace of the caller wants to see.
        using var activity = GlobalZoneClientTelemetry.Source.StartActivity("GlobalZone " + kind, ActivityKind.Client);
        var progress = new OperationProgress();
        try
        {
            var response = await SendAsync(kind, build, token, attemptTimeout, streaming, limits, progress).ConfigureAwait(false);
            Finish(activity, progress, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), null);
            return response;
        }
        catch (Exception e)
        {
            if (e is GlobalZoneUnavailableException)
                GlobalZoneClientTelemetry.Exhausted.Add(1);
            Finish(activity, progress, e switch
            {
                OperationCanceledException => "cancelled",
                GlobalZoneLimitExceededException => "limit",
                GlobalZoneUnavailableException => "unavailable",
                _ => "error",
            }, e);
            throw;
        }
    }

    private static void Finish(Activity? activity, OperationProgress progress, string outcome, Exception? error)
    {
        if (activity is null)
            return;
        activity.SetTag("gz.member", progress.Member?.ToString());
        activity.SetTag("gz.attempts", progress.Attempts);
        activity.SetTag("gz.outcome", outcome);
        if (error is not null)
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
    }

    /// <summary>The member and attempt count of an operation so far (for its activity).</summary>
    private sealed class OperationProgress
    {
        public Uri? Member;
        public int Attempts;
    }

    private async Task<HttpResponseMessage> SendAsync(RequestKind kind, Func<Uri, HttpRequestMessage> build, CancellationToken token,
        TimeSpan? attemptTimeout, bool streaming, RetryLimits? limits, OperationProgress progress)
    {
        await EnsureDiscoveredAsync(token).ConfigureAwait(false);
        var operation = new Operation(this, kind, build, attemptTimeout, streaming, limits ?? DefaultLimits, progress);
        // Polly runs the loop, the pauses (on this client's TimeProvider) and the cancellation; each attempt's member
        // choice and its reading of the answer stay here (they decide the pause), as do the idempotency keys the
        // callers put on writes.
        var last = await failover.ExecuteAsync(static (operation, token) => operation.TryOnceAsync(token), operation, token).ConfigureAwait(false);
        return last.Answer ?? throw operation.Exhausted();
    }

    /// <summary>
    /// What one attempt left for the retry strategy: the answer to return, or the pause before the next attempt (zero:
    /// the next member now). Not disposable on purpose: Polly disposes a result it retries, and a non-answer holds nothing.
    /// </summary>
    private readonly record struct Attempt(Operation Operation, HttpResponseMessage? Answer, TimeSpan Pause)
    {
        public static Attempt Again(Operation operation, TimeSpan? pause = null) => new(operation, null, pause ?? TimeSpan.Zero);
    }

    private static ResiliencePipeline<Attempt> BuildFailover(TimeProvider time) => new ResiliencePipelineBuilder<Attempt> { TimeProvider = time }
        .AddRetry(new RetryStrategyOptions<Attempt>
        {
            Name = "gz-member-failover",
            // Each operation's own RetryLimits bound it (keep-alives use shorter ones), checked per attempt.
            MaxRetryAttempts = int.MaxValue,
            // Retried: every attempt that did not end in an answer, while its pause fits in the operation's budget.
            // An exception (cancellation, no member left, a cap that cannot be waited out) ends the operation.
            ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is null
                && args.Outcome.Result is { Answer: null } attempt && attempt.Operation.PauseFits(attempt.Pause)),
            DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result.Pause),
        })
        .Build();

    /// <summary>One logical request across its attempts: which members it tried, how many rounds, what went wrong last.</summary>
    private sealed class Operation(RequestExecutor executor, RequestKind kind, Func<Uri, HttpRequestMessage> build, TimeSpan? attemptTimeout,
        bool streaming, RetryLimits limits, OperationProgress progress)
    {
        private readonly long started = executor.time.GetTimestamp();
        private readonly HashSet<Uri> tried = [];
        private int attempts;
        private int round;
        private bool outcomeUnknown;
        private Exception? lastError;
        private HttpStatusCode lastStatus = HttpStatusCode.ServiceUnavailable;
        private ProblemDetailsBody? lastProblem;
        private bool signedInAgain;
        private string? sentToken;

        private TimeSpan Elapsed => executor.time.GetElapsedTime(started);

        private ClusterTopology Topology => executor.Topology;

        private TimeSpan RoundPause(int atLeast) => Backoff.Delay(Math.Max(atLeast, round), executor.options.InitialBackoff, executor.options.MaxBackoff, Random.Shared);

        /// <summary>A pause is taken only when the operation would still be within its time budget after it.</summary>
        public bool PauseFits(TimeSpan pause) => pause <= TimeSpan.Zero || Elapsed + pause <= limits.Budget;

        public async ValueTask<Attempt> TryOnceAsync(CancellationToken token)
        {
            token.ThrowIfCancellationRequested();
            var candidates = Topology.Candidates(kind);
            if (candidates.Count == 0)
                throw new GlobalZoneUnavailableException("Every known member is the witness, which serves no clients; give the client a voter's URL.", attempts, false);
            var target = candidates.FirstOrDefault(c => !tried.Contains(c));
            if (target is null)
            {
                // Every candidate failed once in this round: pause (growing), then start a new round.
                round++;
                tried.Clear();
                return Attempt.Again(this, RoundPause(round));
            }

            if (attempts >= limits.MaxAttempts || Elapsed >= limits.Budget)
                throw Exhausted();
            tried.Add(target);
            attempts++;
            if (attempts > 1)
            {
                GlobalZoneClientTelemetry.Retries.Add(1);
                if (progress.Member is { } previous && previous != target)
                    GlobalZoneClientTelemetry.Failovers.Add(1);
            }

            progress.Member = target;
            progress.Attempts = attempts;
            HttpResponseMessage response;
            using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                attempt.CancelAfter(attemptTimeout ?? executor.options.RequestTimeout);
                try
                {
                    using var request = build(target);
                    await executor.Credentials.AuthorizeAsync(request, target, attempt.Token).ConfigureAwait(false);
                    sentToken = request.Headers.Authorization?.Parameter;
                    response = await executor.http().SendAsync(request, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, attempt.Token)
                        .ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
                {
                    // Refused connections never reached the member; anything else (reset mid-answer, timeout) may have.
                    var notSent = e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };
                    outcomeUnknown |= kind == RequestKind.Write && !notSent;
                    lastError = e;
                    Topology.MarkUnreachable(target);
                    executor.LogAttemptFailed(target, attempts, e is OperationCanceledException ? "timed out" : e.Message);
                    executor.RequestRefresh();
                    return Attempt.Again(this);
                }
            }

            Topology.MarkReachable(target);
            if (response.StatusCode == HttpStatusCode.Unauthorized && executor.Credentials.CanRenew && !signedInAgain)
            {
                // The token was refused (auth re-enabled with a new secret, clock skew at expiry): sign in once more.
                signedInAgain = true;
                executor.Credentials.Invalidate(sentToken);
                response.Dispose();
                tried.Remove(target);
                return Attempt.Again(this);
            }

            if (response.Headers.TryGetValues(HeaderNames.Leader, out var leaders) && Topology.ObserveLeader(leaders.FirstOrDefault()))
                executor.RequestRefresh();
            switch (response.StatusCode)
            {
                case HttpStatusCode.ServiceUnavailable:
                {
                    lastStatus = response.StatusCode;
                    lastProblem = await ProblemReader.ReadAsync(response, token).ConfigureAwait(false);
                    var retryAfter = Backoff.RetryAfter(response.Headers.RetryAfter, executor.time.GetUtcNow(), executor.options.MaxRetryAfter);
                    response.Dispose();
                    lastError = null;
                    executor.LogUnavailable(target, attempts, lastProblem?.Type ?? "", retryAfter?.TotalMilliseconds ?? 0);
                    // Too stale or full (watches, blocking reads) is about that member: ask another now. So is a member
                    // that is stopping or stopped applying, and it is skipped for a while like an unreachable one (it is
                    // about to be, or should be treated as, gone). No leader is about the cluster: wait as told.
                    var memberGone = lastProblem?.Type is ProblemTypes.MemberStopping or ProblemTypes.MemberFaulted;
                    if (memberGone)
                        Topology.MarkUnreachable(target);
                    var memberSpecific = (memberGone || lastProblem?.Type is ProblemTypes.TooStale or ProblemTypes.TooManyWatches or ProblemTypes.TooManyBlockingReads)
                        && candidates.Any(c => !tried.Contains(c));
                    executor.RequestRefresh();
                    if (memberSpecific)
                        return Attempt.Again(this);
                    tried.Clear();
                    return Attempt.Again(this, retryAfter ?? RoundPause(1));
                }

                case HttpStatusCode.TooManyRequests:
                {
                    lastStatus = response.StatusCode;
                    lastProblem = await ProblemReader.ReadAsync(response, token).ConfigureAwait(false);
                    var retryAfter = Backoff.RetryAfter(response.Headers.RetryAfter, executor.time.GetUtcNow(), executor.options.MaxRetryAfter);
                    response.Dispose();
                    lastError = null;
                    executor.LogUnavailable(target, attempts, lastProblem?.Type ?? "", retryAfter?.TotalMilliseconds ?? 0);
                    // The cap is the cluster's, not this member's: another member would say the same. Wait if it fits.
                    var quotaWait = retryAfter ?? RoundPause(1);
                    if (attempts >= limits.MaxAttempts || !PauseFits(quotaWait))
                        throw new GlobalZoneLimitExceededException(lastStatus, lastProblem, retryAfter, attempts);
                    tried.Clear();
                    return Attempt.Again(this, quotaWait);
                }

                case HttpStatusCode.GatewayTimeout:
                    lastStatus = response.StatusCode;
                    lastProblem = await ProblemReader.ReadAsync(response, token).ConfigureAwait(false);
                    response.Dispose();
                    lastError = null;
                    outcomeUnknown |= kind == RequestKind.Write;
                    executor.LogUnavailable(target, attempts, lastProblem?.Type ?? "", 0);
                    tried.Clear();
                    executor.RequestRefresh();
                    return Attempt.Again(this, RoundPause(1));
                case HttpStatusCode.MisdirectedRequest:
                    response.Dispose();
                    Topology.MarkWitness(target);
                    return Attempt.Again(this);
                default:
                    return new Attempt(this, response, TimeSpan.Zero);
            }
        }

        public GlobalZoneException Exhausted()
        {
            var what = lastError is not null ? lastError.Message : lastProblem?.Detail ?? lastProblem?.Title ?? ((int)lastStatus).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var message = $"No GlobalZone member gave an answer after {attempts} attempt(s) in {Elapsed.TotalSeconds:0.0} s; last: {what}"
                + (outcomeUnknown ? " The write may or may not have been applied; retrying it with the same Idempotency-Key is safe." : "");
            // Every member full (watches, blocking reads, idempotency records) is a limit, not an outage.
            if (!outcomeUnknown && lastError is null && lastProblem?.Type is ProblemTypes.TooManyWatches or ProblemTypes.TooManyBlockingReads or ProblemTypes.TooManyIdempotencyRecords)
                return new GlobalZoneLimitExceededException(lastStatus, lastProblem, null, attempts);
            return new GlobalZoneUnavailableException(message, attempts, outcomeUnknown, lastStatus, lastProblem, lastError);
        }
    }

    /// <summary>Learns the members before the first request (once; failures are tolerated: the seeds still work).</summary>
    public async Task EnsureDiscoveredAsync(CancellationToken token)
    {
        if (Topology.LastDiscovery is { } last)
        {
            if (time.GetUtcNow() - last > options.DiscoveryInterval)
                RequestRefresh();
            return;
        }

        await discovery.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (Topology.LastDiscovery is null)
                await DiscoverAsync(token).ConfigureAwait(false);
        }
        finally
        {
            discovery.Release();
        }
    }

    /// <summary>Refreshes the topology in the background, at most once per 250 ms and one at a time.</summary>
    public void RequestRefresh()
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref lastRefreshTicks);
        if (last != 0 && time.GetElapsedTime(last, now) < MinRefreshSpacing)
            return;
        if (Interlocked.Exchange(ref refreshing, 1) == 1)
            return;
        Interlocked.Exchange(ref lastRefreshTicks, now);
        _ = Task.Run(async () =>
        {
            try
            {
                await DiscoverAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Volatile.Write(ref refreshing, 0);
            }
        });
    }

    /// <summary>Asks members for <c>/v1/cluster</c>, best candidate first, until one answers. True when one did.</summary>
    public async Task<bool> DiscoverAsync(CancellationToken token)
    {
        foreach (var candidate in Topology.Candidates(RequestKind.Read))
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
            attempt.CancelAfter(options.RequestTimeout);
            try
            {
                using var response = await http().GetAsync(new Uri(candidate, "v1/cluster"), attempt.Token).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.OK)
                    continue;
                var status = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ClusterStatus, attempt.Token).ConfigureAwait(false);
                if (status is null)
                    continue;
                Topology.MarkReachable(candidate);
                Topology.Apply(status);
                if (status.IsWitness)
                    Topology.MarkWitness(candidate);
                LogDiscovered(candidate, status.Members.Count, status.LeaderId ?? "(none)");
                return true;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or JsonException)
            {
                Topology.MarkUnreachable(candidate);
            }
        }

        return false;
    }

    public void Stop() => stopping.Cancel();

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "GlobalZone attempt {Attempt} to {Member} failed: {Reason}")]
    private partial void LogAttemptFailed(Uri member, int attempt, string reason);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Debug, Message = "GlobalZone attempt {Attempt} to {Member} answered unavailable ({ProblemType}); retry after {RetryAfterMs} ms")]
    private partial void LogUnavailable(Uri member, int attempt, string problemType, double retryAfterMs);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Debug, Message = "GlobalZone topology from {Member}: {MemberCount} members, leader {Leader}")]
    private partial void LogDiscovered(Uri member, int memberCount, string leader);
}
