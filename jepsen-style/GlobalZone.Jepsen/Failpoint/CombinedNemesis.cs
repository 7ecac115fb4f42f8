namespace GlobalZone.Jepsen.Failpoint;

/// <summary>Several faults at once (written <c>a+b</c>): injected in order, healed in reverse order.</summary>
internal sealed class CombinedNemesis(IReadOnlyList<INemesis> parts) : INemesis
{
    public IReadOnlyList<INemesis> Parts { get; } = parts;

    public string Name => string.Join("+", Parts.Select(p => p.Name));

    public bool NeedsPartitioner => Parts.Any(p => p.NeedsPartitioner);

    public bool NeedsPeerFailpoints => Parts.Any(p => p.NeedsPeerFailpoints);

    public async Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var done = new List<string>();
        foreach (var part in Parts)
            done.Add(await part.InjectAsync(context, token).ConfigureAwait(false));
        return string.Join(" + ", done);
    }

    public async Task HealAsync(NemesisContext context, CancellationToken token)
    {
        foreach (var part in Parts.Reverse())
            await part.HealAsync(context, token).ConfigureAwait(false);
    }
}
