namespace GlobalZone.Consensus.Tls;

/// <summary>
/// TLS for the member's listener and its member-to-member client (<c>GlobalZone:Tls:*</c>). All three files set: the
/// member serves https only (its URL must be https://), presents <see cref="CertFile"/> to clients and to peers, and
/// accepts Raft and <c>/internal</c> requests only from current members whose certificate chains to
/// <see cref="CaFile"/>. None set: plain HTTP, as before. The files are PEM and are read again when they change.
/// </summary>
public sealed record TlsOptions
{
    /// <summary>This member's certificate (PEM), optionally followed by intermediates; must name the member (<c>gz-member://CLUSTER/ID</c>).</summary>
    public string? CertFile { get; init; }

    /// <summary>Its private key (PEM, PKCS#8 / RSA / EC, unencrypted).</summary>
    public string? KeyFile { get; init; }

    /// <summary>The cluster CA certificate(s) (PEM; several during a CA rotation): peers must chain to one of them.</summary>
    public string? CaFile { get; init; }

    public bool Enabled => CertFile is not null || KeyFile is not null || CaFile is not null;

    public void Validate(string selfUrl)
    {
        var https = Uri.TryCreate(selfUrl, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps;
        if (!Enabled)
        {
            if (https)
                throw new ArgumentException($"The member URL {selfUrl} is https but GlobalZone:Tls:CertFile, KeyFile and CaFile are not set.");
            return;
        }

        if (string.IsNullOrWhiteSpace(CertFile) || string.IsNullOrWhiteSpace(KeyFile) || string.IsNullOrWhiteSpace(CaFile))
            throw new ArgumentException("GlobalZone:Tls needs CertFile, KeyFile and CaFile together.");
        if (!https)
            throw new ArgumentException($"With GlobalZone:Tls set the member URL must be https://, not {selfUrl}.");
        foreach (var file in new[] { CertFile, KeyFile, CaFile })
        {
            if (!File.Exists(file))
                throw new ArgumentException($"GlobalZone:Tls file {file} does not exist.");
        }
    }
}
