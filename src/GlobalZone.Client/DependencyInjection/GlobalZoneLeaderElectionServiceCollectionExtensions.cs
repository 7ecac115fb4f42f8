using GlobalZone.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers hosted work that runs only while this process leads an election (see <see cref="GlobalZoneLeaderService"/>).</summary>
public static class GlobalZoneLeaderElectionServiceCollectionExtensions
{
    /// <summary>
    /// <c>services.AddGlobalZoneLeaderElection("jobs/scheduler", (sp, ct) => RunSchedulerAsync(sp, ct))</c>: the work
    /// runs only while elected, is cancelled the moment leadership is lost, and the process campaigns again after.
    /// Needs a registered <see cref="GlobalZoneClient"/> (<c>AddGlobalZoneClient</c>).
    /// </summary>
    public static IServiceCollection AddGlobalZoneLeaderElection(this IServiceCollection services, string name,
        Func<IServiceProvider, CancellationToken, Task> work, LeaderElectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        return services.AddGlobalZoneLeaderElection(name, (provider, _, token) => work(provider, token), options);
    }

    /// <summary>As above, with the term (fencing token, lease, lock) passed to the work.</summary>
    public static IServiceCollection AddGlobalZoneLeaderElection(this IServiceCollection services, string name,
        Func<IServiceProvider, GlobalZoneLeadership, CancellationToken, Task> work, LeaderElectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(work);
        // Added, not TryAdded: several elections may be registered, and they all share one implementation type.
        services.AddSingleton<IHostedService>(provider => new DelegateLeaderService(provider, name, work, options));
        return services;
    }

    private sealed class DelegateLeaderService(IServiceProvider provider, string name, Func<IServiceProvider, GlobalZoneLeadership, CancellationToken, Task> work,
        LeaderElectionOptions? options)
        : GlobalZoneLeaderService(provider.GetRequiredService<GlobalZoneClient>(), name, options,
            provider.GetService<ILoggerFactory>()?.CreateLogger<GlobalZoneLeaderService>())
    {
        protected override Task RunAsLeaderAsync(GlobalZoneLeadership leadership, CancellationToken cancellationToken)
            => work(provider, leadership, cancellationToken);
    }
}
