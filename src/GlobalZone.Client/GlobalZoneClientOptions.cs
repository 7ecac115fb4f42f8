namespace GlobalZone.Client;

/// <summary>
/// Settings of a <see cref="GlobalZoneClient"/>. Bindable from configuration (for example the section
/// <c>GlobalZone:Client</c>): times as <c>hh:mm:ss</c> strings, <see cref="Endpoints"/> as a list of URLs.
/// </summary>
public sealed class GlobalZoneClientOptions
{
    /// <summary>
    /// URLs of one or more members (any members: the client discovers the rest, their sites and the leader through
    /// <c>GET /v1/cluster</c>). Required.
    /// </summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>
    /// The site (data center) the caller runs in, as the cluster names it (for example <c>dc1</c>). Reads and watches
    /// prefer members of this site; null: no preference.
    /// </summary>
    public string? Site { get; set; }

    /// <summary>How long one attempt of a request may take before the client tries again elsewhere. Default 5 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long opening a connection to a member may take. Default 2 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most attempts one operation makes (the first included) before it fails. Default 10.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>
    /// Longest time one operation keeps retrying (waits included) before it fails with
    /// <see cref="GlobalZoneUnavailableException"/>. Default 30 s.
    /// </summary>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First pause after every member failed once; it doubles up to <see cref="MaxBackoff"/>, with jitter. Default 50 ms.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest pause between rounds of attempts. Default 1 s.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap on a server's <c>Retry-After</c> (503): the client waits what the server asks, up to this. Default 5 s.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the client refreshes its view of the members and the leader in the background. Default 30 s.</summary>
    public TimeSpan DiscoveryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Read consistency of calls that do not say. Default <see cref="ReadConsistency.Linearizable"/>.</summary>
    public ReadConsistency DefaultConsistency { get; set; } = ReadConsistency.Linearizable;

    /// <summary>
    /// TTL of the lease each lock handle holds (renewed in the background). A crashed holder's lock is free again
    /// within about this long. Default 15 s; at least 1 s, and keep it well above the cluster's election timeout.
    /// </summary>
    public TimeSpan LockLeaseTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest single wait the client asks the server for while queued for a lock (the server allows 300 s). Default 30 s.</summary>
    public TimeSpan LockWaitSlice { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A watch stream that delivers nothing (not even the server's progress events, sent every 5 s) for this long is
    /// considered dead and reopened elsewhere. Default 20 s.
    /// </summary>
    public TimeSpan WatchIdleTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A label for locks this client holds, shown when a lock is inspected. Default <c>{machine}/{process id}</c>.</summary>
    public string? Owner { get; set; }

    /// <summary>How values are serialized and deserialized; null: the web defaults (<see cref="System.Text.Json.JsonSerializerDefaults.Web"/>).</summary>
    public System.Text.Json.JsonSerializerOptions? JsonSerializerOptions { get; set; }

    /// <summary>
    /// PEM file of the CA that signed the members' certificates (https:// endpoints). Null: the machine's trust store
    /// decides, as for any https site. The host name is checked either way.
    /// </summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>PEM client certificate to present (optional: members do not require one on the client API).</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/> (null: the key is in the certificate file).</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>
    /// A user to sign in as when the cluster has auth enabled (with <see cref="Password"/>): the client exchanges them for
    /// a bearer token and fetches a new one before it expires. Null: no sign-in (or <see cref="Token"/>).
    /// </summary>
    public string? Username { get; set; }

    /// <summary>The password of <see cref="Username"/>.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// A fixed bearer token (from <c>POST /v1/auth/token</c>) sent with every request instead of signing in; it is not
    /// renewed, so it stops working when it expires. Not together with <see cref="Username"/>.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (Endpoints.Count == 0)
            throw new ArgumentException("GlobalZoneClientOptions.Endpoints must name at least one member URL.");
        foreach (var endpoint in Endpoints)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"GlobalZoneClientOptions.Endpoints: '{endpoint}' is not an http(s) URL.");
        }

        foreach (var (file, name) in new[] { (CaCertificateFile, nameof(CaCertificateFile)), (ClientCertificateFile, nameof(ClientCertificateFile)), (ClientKeyFile, nameof(ClientKeyFile)) })
        {
            if (file is not null && !File.Exists(file))
                throw new ArgumentException($"GlobalZoneClientOptions.{name}: {file} does not exist.");
        }

        if (ClientKeyFile is not null && ClientCertificateFile is null)
            throw new ArgumentException("GlobalZoneClientOptions.ClientKeyFile needs ClientCertificateFile.");
        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(RetryBudget, nameof(RetryBudget));
        Positive(InitialBackoff, nameof(InitialBackoff));
        Positive(DiscoveryInterval, nameof(DiscoveryInterval));
        Positive(LockWaitSlice, nameof(LockWaitSlice));
        Positive(WatchIdleTimeout, nameof(WatchIdleTimeout));
        if (MaxAttempts < 1)
            throw new ArgumentException("GlobalZoneClientOptions.MaxAttempts must be at least 1.");
        if (MaxBackoff < InitialBackoff)
            throw new ArgumentException("GlobalZoneClientOptions.MaxBackoff must be at least InitialBackoff.");
        if (MaxRetryAfter < TimeSpan.Zero)
            throw new ArgumentException("GlobalZoneClientOptions.MaxRetryAfter must not be negative.");
        if (LockLeaseTtl < TimeSpan.FromSeconds(1))
            throw new ArgumentException("GlobalZoneClientOptions.LockLeaseTtl must be at least 1 s (the server's minimum lease TTL).");
        if (Username is not null && Token is not null)
            throw new ArgumentException("GlobalZoneClientOptions: give Username (and Password) or Token, not both.");
        if (Username is not null && string.IsNullOrEmpty(Password))
            throw new ArgumentException("GlobalZoneClientOptions.Password is required with Username.");
        if (LockWaitSlice > TimeSpan.FromSeconds(300))
            throw new ArgumentException("GlobalZoneClientOptions.LockWaitSlice must be at most 300 s (the server's longest lock wait).");
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
            throw new ArgumentException($"GlobalZoneClientOptions.{name} must be positive.");
    }
}
