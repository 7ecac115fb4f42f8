using System.Threading.RateLimiting;

namespace GlobalZone.Server.Auth;

/// <summary>
/// Bounds what <c>POST /v1/auth/token</c> can cost and how fast a password can be guessed. A password check is a
/// PBKDF2 derivation of 600,000 iterations (a few hundred milliseconds of one core), so unbounded attempts would take
/// the member's CPU from Raft. Two limits, in this order:
/// <list type="number">
/// <item>at most one check per core runs at once, with a short queue (<see cref="QueueLimit"/>); past it the answer is
/// 429 with <c>Retry-After: 1</c>;</item>
/// <item>at most <see cref="AuthOptions.TokenAttemptsPerMinute"/> attempts per user name and client address in a
/// minute (etcd and Consul rate-limit logins the same way); past it 429 with the seconds until the window ends.
/// Keyed by name and address together, so one address guessing cannot lock a user out from everywhere.</item>
/// </list>
/// The first limit is taken first, so the per-name partitions (one small limiter each, dropped once idle) grow no
/// faster than checks can run.
/// </summary>
public sealed class TokenAttemptLimiter : IDisposable
{
    /// <summary>Requests waiting for a check slot beyond those running.</summary>
    public const int QueueLimit = 16;

    private readonly ConcurrencyLimiter checks = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = Math.Max(1, Environment.ProcessorCount),
        QueueLimit = QueueLimit,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    private readonly PartitionedRateLimiter<(string Name, string Address)> attempts;

    public TokenAttemptLimiter(AuthOptions options)
        => attempts = PartitionedRateLimiter.Create<(string Name, string Address), (string, string)>(key => RateLimitPartition.GetFixedWindowLimiter(key,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = options.TokenAttemptsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true }));

    /// <summary>A check slot, or a lease that is not acquired (the caller answers 429, retry after a second).</summary>
    public ValueTask<RateLimitLease> WaitForCheckSlotAsync(CancellationToken token) => checks.AcquireAsync(1, token);

    /// <summary>One attempt for <paramref name="name"/> from <paramref name="address"/>; not acquired when over the limit (see <see cref="RetryAfterSeconds"/>).</summary>
    public RateLimitLease TryAttempt(string name, string address) => attempts.AttemptAcquire((name, address));

    /// <summary>Seconds to wait, from a refused lease's metadata (a minute when it does not say).</summary>
    public static int RetryAfterSeconds(RateLimitLease refused)
        => refused.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 60;

    public void Dispose()
    {
        checks.Dispose();
        attempts.Dispose();
    }
}
