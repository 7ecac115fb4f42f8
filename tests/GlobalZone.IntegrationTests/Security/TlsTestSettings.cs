using GlobalZone.ClusterRunner;

namespace GlobalZone.IntegrationTests.Security;

internal static class TlsTestSettings
{
    /// <summary>
    /// A TLS cluster with the server's default election timeouts (750–1500 ms) instead of the tests' 300–600 ms: a
    /// member's first TLS handshakes (a cold TLS stack in a new process) must fit in the RPC timeout; on the shared
    /// 2-core machine under heavy load, TLS clusters at 300–600 ms were seen churning through elections at start.
    /// </summary>
    public static ClusterSettings Apply(ClusterSettings settings)
        => settings with { Tls = true, LowerElectionTimeoutMs = null, UpperElectionTimeoutMs = null };
}
