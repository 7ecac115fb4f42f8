namespace GlobalZone.ClusterRunner;

/// <summary>One member of a local cluster: its id, site, role and port on 127.0.0.1.</summary>
public sealed record MemberSpec(string Id, string Site, string Role, int Port)
{
    public string Url => $"http://127.0.0.1:{Port}";

    public bool IsWitness => Role == "witness";
}
