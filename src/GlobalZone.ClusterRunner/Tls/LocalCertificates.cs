namespace GlobalZone.ClusterRunner.Tls;

/// <summary>
/// A local cluster's certificate folder: <c>ca.crt</c>/<c>ca.key</c> and <c>ID.crt</c>/<c>ID.key</c> per member. Files
/// already there are kept, so restarting <c>gz local --tls</c> on the same folder keeps the CA clients trust.
/// </summary>
public sealed class LocalCertificates
{
    private LocalCertificates(string directory, string clusterName)
    {
        Directory = directory;
        ClusterName = clusterName;
    }

    public string Directory { get; }

    public string ClusterName { get; }

    public string CaCertFile => Path.Combine(Directory, "ca.crt");

    public string CaKeyFile => Path.Combine(Directory, "ca.key");

    public string MemberCertFile(string memberId) => Path.Combine(Directory, memberId + ".crt");

    public string MemberKeyFile(string memberId) => Path.Combine(Directory, memberId + ".key");

    public static LocalCertificates Open(string directory, string clusterName)
    {
        System.IO.Directory.CreateDirectory(directory);
        var certificates = new LocalCertificates(directory, clusterName);
        if (!File.Exists(certificates.CaCertFile) || !File.Exists(certificates.CaKeyFile))
            CertificateMaker.MakeCa(clusterName, certificates.CaCertFile, certificates.CaKeyFile);
        return certificates;
    }

    /// <summary>Makes the member's certificate (for its loopback address and localhost) unless it exists.</summary>
    public void EnsureMember(string memberId, string host)
    {
        if (!File.Exists(MemberCertFile(memberId)) || !File.Exists(MemberKeyFile(memberId)))
            IssueMember(memberId, host);
    }

    /// <summary>Makes (or replaces) the member's certificate.</summary>
    public void IssueMember(string memberId, string host, TimeSpan? validity = null)
        => CertificateMaker.MakeMember(CaCertFile, CaKeyFile, ClusterName, memberId, [host, "localhost"], MemberCertFile(memberId), MemberKeyFile(memberId), validity);
}
