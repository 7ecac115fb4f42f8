using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GlobalZone.Client.Diagnostics;

/// <summary>
/// What the client reports to OpenTelemetry or any other listener: one <see cref="Activity"/> per operation (its kind,
/// the member that answered, how many attempts it took, its outcome) from the <see cref="Name"/> activity source, and
/// counters from the <see cref="Name"/> meter. Subscribe with <c>AddSource(GlobalZoneClientTelemetry.Name)</c> and
/// <c>AddMeter(GlobalZoneClientTelemetry.Name)</c>; with no listener they cost nothing.
/// </summary>
public static class GlobalZoneClientTelemetry
{
    /// <summary>The activity source's and the meter's name.</summary>
    public const string Name = "GlobalZone.Client";

    internal static readonly ActivitySource Source = new(Name, typeof(GlobalZoneClientTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(Name, typeof(GlobalZoneClientTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Attempts after the first within one operation (another member, or the same one after a pause).</summary>
    internal static readonly Counter<long> Retries = Meter.CreateCounter<long>("globalzone.client.retries", "{attempt}", "Attempts after the first within one operation");

    /// <summary>Attempts sent to a different member than the attempt before (the client moved on from a member).</summary>
    internal static readonly Counter<long> Failovers = Meter.CreateCounter<long>("globalzone.client.failovers", "{attempt}", "Attempts that moved to another member");

    /// <summary>Operations that ended without an answer (every member tried within the limits).</summary>
    internal static readonly Counter<long> Exhausted = Meter.CreateCounter<long>("globalzone.client.unavailable", "{operation}", "Operations no member answered within the limits");

    /// <summary>Lease renewals that succeeded.</summary>
    internal static readonly Counter<long> LeaseRenewals = Meter.CreateCounter<long>("globalzone.client.lease_renewals", "{renewal}", "Lease renewals that succeeded");

    /// <summary>Leases found lost (expired, revoked, or not renewed within their TTL); a lock held on one is lost with it.</summary>
    internal static readonly Counter<long> LeasesLost = Meter.CreateCounter<long>("globalzone.client.leases_lost", "{lease}", "Leases lost, and the locks held on them");

    /// <summary>Watch streams opened again after a break.</summary>
    internal static readonly Counter<long> WatchReconnects = Meter.CreateCounter<long>("globalzone.client.watch_reconnects", "{reconnect}", "Watch streams opened again after a break");
}
