using System.Net;
using System.Net.Sockets;
using GlobalZone.Consensus.Tls;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalZone.Consensus;

/// <summary>
/// The HTTP client DotNext uses for member-to-member traffic (its handler name is <c>raftClient</c>). Outgoing
/// connections are bound to this member's own address, so that a member with its own loopback address
/// (127.x.y.z) is also the source of its traffic: firewall rules between two members' addresses then cut
/// exactly that link, which is how the tests and the harness make real partitions. With TLS on it speaks TLS with
/// this member's certificate (<see cref="MemberCertificates"/>).
/// </summary>
public static class PeerConnections
{
    public const string ClientName = "raftClient";

    public static IHttpClientBuilder AddPeerConnections(this IServiceCollection services, NodeOptions options)
    {
        var self = new Uri(options.Self.Url, UriKind.Absolute);
        IPAddress? local = IPAddress.TryParse(self.Host, out var parsed) && !IPAddress.Any.Equals(parsed) ? parsed : null;
        var connectTimeout = TimeSpan.FromMilliseconds(options.Raft.LowerElectionTimeoutMs);
        var client = services.AddHttpClient(ClientName).ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectCallback = local is null ? null : (context, token) => ConnectFromAsync(local, context.DnsEndPoint, token),
            // With TLS on, every peer connection presents this member's certificate and accepts only peers of the
            // cluster CA (DotNext's Raft client is this named client too).
            SslOptions = provider.GetService<MemberCertificates>()?.PeerClientOptions() ?? new(),
        });
        if (!options.Testing.EnablePeerFailpoints)
            return client;
        // TEST-ONLY (GlobalZone:Testing:EnablePeerFailpoints): the first handler added is the outermost.
        services.AddSingleton<PeerFailpoints>();
        return client.AddHttpMessageHandler(provider => new PeerFailpointHandler(provider.GetRequiredService<PeerFailpoints>()));
    }

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress local, DnsEndPoint remote, CancellationToken token)
    {
        var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(remote, token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
