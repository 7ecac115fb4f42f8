using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Watching;

namespace GlobalZone.Server.Api;

/// <summary>The client API beyond single keys: transactions, watches, leases, locks, and the OpenAPI document.</summary>
internal static class ClientApi
{
    public static IServiceCollection AddClientApi(this IServiceCollection services)
        => services.AddSingleton<RevisionFeed>()
            .AddSingleton<Capacity.MemberCapacity>()
            .AddSingleton<Capacity.ProposalQuotas>()
            .AddApiDocument();

    public static void MapClientApi(this IEndpointRouteBuilder app)
    {
        app.MapTxnApi();
        app.MapWatchApi();
        app.MapLeaseApi();
        app.MapLockApi();
        app.MapApiDocument();
    }
}
