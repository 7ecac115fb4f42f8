using System.Globalization;

namespace GlobalZone.Client;

/// <summary>Where a kind of lock is acquired: the route prefix, the query naming the mode, and a noun for errors.</summary>
internal sealed record LockRoute(string Prefix, string Query, string Noun)
{
    public static readonly LockRoute Exclusive = new("v1/locks/", "", "lock");

    public static readonly LockRoute Read = new("v1/rwlocks/", "?mode=read", "reader-writer lock");

    public static readonly LockRoute Write = new("v1/rwlocks/", "?mode=write", "reader-writer lock");

    public static LockRoute Semaphore(int maxCount) => new("v1/semaphores/", "?limit=" + maxCount.ToString(CultureInfo.InvariantCulture), "semaphore");
}
