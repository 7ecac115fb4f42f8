namespace GlobalZone.Contracts;

/// <summary>
/// How a member's TLS certificate names it: a URI subject alternative name <c>gz-member://CLUSTER/MEMBER-ID</c>.
/// A URI name rather than a DNS name because it is never mistaken for the host the certificate serves (host names
/// and IP addresses stay in their own SAN entries and are checked as usual), it carries the cluster and the member
/// id exactly (ids need not be valid DNS labels), and a CA shared by several clusters still cannot make one
/// cluster's member pass for another's.
/// </summary>
public static class MemberCertificateNames
{
    public const string Scheme = "gz-member";

    /// <summary>The name as written into a certificate (escaped, case kept: <see cref="Uri"/> would lower-case the cluster).</summary>
    public static string For(string clusterName, string memberId)
        => $"{Scheme}://{Uri.EscapeDataString(clusterName)}/{Uri.EscapeDataString(memberId)}";

    /// <summary>Reads a <c>gz-member://CLUSTER/ID</c> name (as written, case kept); false for any other text.</summary>
    public static bool TryParse(string uri, out string clusterName, out string memberId)
    {
        clusterName = memberId = "";
        const string prefix = Scheme + "://";
        if (!uri.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            return false;
        var parts = uri[prefix.Length..].Split('/');
        if (parts is not [var cluster, var member] || cluster.Length == 0 || member.Length == 0)
            return false;
        clusterName = Uri.UnescapeDataString(cluster);
        memberId = Uri.UnescapeDataString(member);
        return true;
    }
}
