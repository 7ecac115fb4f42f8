namespace GlobalZone.ClusterRunner;

/// <summary>
/// One member of a local cluster: its id, site, role, loopback address and port. Members get addresses of their
/// own (127.x.y.z) when the cluster must be partitionable, since firewall rules tell members apart by address.
/// </summary>
public sealed record MemberSpec(string Id, string Site, string Role, int Port, string Host = "127.0.0.1")
{
    /// <summary>"https" for a TLS cluster (see <see cref="ClusterSettings.Tls"/>).</summary>
    public string Scheme { get; init; } = "http";

    public string Url => $"{Scheme}://{Host}:{Port}";

    public bool IsWitness => Role == "witness";
}
