namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// One kind of fault (etcd's failpoint): a name, an inject step, and a heal step that undoes exactly what inject did.
/// </summary>
internal interface INemesis
{
    /// <summary>The name used on the command line and in reports.</summary>
    string Name { get; }

    /// <summary>Whether it needs iptables (root).</summary>
    bool NeedsPartitioner { get; }

    /// <summary>Whether it arms the members' TEST-ONLY peer failpoints (the run then starts members with them on).</summary>
    bool NeedsPeerFailpoints => false;

    /// <summary>Injects the fault; returns what it did, in words, for the fault window.</summary>
    Task<string> InjectAsync(NemesisContext context, CancellationToken token);

    /// <summary>Undoes what the last <see cref="InjectAsync"/> did.</summary>
    Task HealAsync(NemesisContext context, CancellationToken token);
}
