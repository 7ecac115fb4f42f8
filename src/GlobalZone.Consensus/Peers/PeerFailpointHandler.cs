namespace GlobalZone.Consensus;

/// <summary>
/// TEST-ONLY: applies <see cref="PeerFailpoints"/> to every member-to-member request (the <c>raftClient</c> pipeline,
/// outermost, so a dropped request never pays the simulated WAN delay). Installed only when
/// <c>GlobalZone:Testing:EnablePeerFailpoints</c> is on.
/// </summary>
internal sealed class PeerFailpointHandler(PeerFailpoints failpoints) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        => failpoints.Intercept(request) is { } dropped
            ? Task.FromException<HttpResponseMessage>(dropped)
            : base.SendAsync(request, cancellationToken);
}
