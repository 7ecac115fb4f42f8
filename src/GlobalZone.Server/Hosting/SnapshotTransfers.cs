using GlobalZone.Consensus;
using GlobalZone.Server.Api;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Host wiring for out-of-band snapshots: the file route and the member-to-member client the receiver downloads with.
/// (An InstallSnapshot call whose snapshot is not installed yet fails inside DotNext's Raft route, whose own exception
/// handler answers 500: the leader counts one failed call and asks again. Logging drops those errors.)
/// </summary>
internal static class SnapshotTransfers
{
    public static void MapSnapshotTransfers(this WebApplication app)
    {
        var factory = app.Services.GetRequiredService<IHttpClientFactory>();
        app.Services.GetRequiredService<RaftStateMachine>().SnapshotReceiver.PeerClient = () => factory.CreateClient(PeerConnections.ClientName);
        app.MapSnapshotTransferApi();
    }
}
