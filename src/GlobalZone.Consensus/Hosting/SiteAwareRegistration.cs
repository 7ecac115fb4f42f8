using DotNext.Net.Cluster.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalZone.Consensus;

/// <summary>Registers what makes the group aware of its sites: progress probes, the witness hand-off, leader placement, the simulated WAN.</summary>
public static class SiteAwareRegistration
{
    /// <summary>
    /// Progress probes, the witness supervisor (active on the witness only), preferred-site leader placement and
    /// campaign holds (voters only). Their message handlers are registered as <see cref="IInputChannel"/> services,
    /// which DotNext picks up when it builds the Raft member, so no probe arrives before they listen.
    /// </summary>
    public static IServiceCollection AddSiteAwareLeadership(this IServiceCollection services)
    {
        services.AddSingleton<LeadershipHandoffJournal>();
        services.AddSingleton<PeerProgressMonitor>();
        services.AddSingleton<CampaignHold>();
        services.AddSingleton<IInputChannel>(sp => sp.GetRequiredService<PeerProgressMonitor>());
        services.AddSingleton<IInputChannel>(sp => sp.GetRequiredService<CampaignHold>());
        services.AddSingleton<LeadershipTransfer>();
        services.AddSingleton<IInputChannel>(sp => sp.GetRequiredService<LeadershipTransfer>());
        services.AddSingleton<DeadLeaderShortcut>();
        services.AddHostedService<StickinessWindow>();
        services.AddHostedService(sp => sp.GetRequiredService<PeerProgressMonitor>());
        services.AddHostedService<WitnessSupervisor>();
        services.AddHostedService<PreferredLeaderPlacement>();
        services.AddSingleton<ShutdownHandOff>();
        return services;
    }

    /// <summary>Adds the simulated WAN delay to the member-to-member HTTP client when any site pair has one.</summary>
    public static IHttpClientBuilder AddSimulatedWan(this IHttpClientBuilder peerClient, NodeOptions options)
    {
        var latencies = WanLatencies.From(options);
        return latencies.IsEmpty ? peerClient : peerClient.AddHttpMessageHandler(() => new SimulatedWanHandler(latencies));
    }
}
