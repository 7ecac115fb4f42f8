namespace GlobalZone.Jepsen.Failpoint;

/// <summary>A fault as it happened: which nemesis, what exactly it did, and when (seconds since traffic began).</summary>
/// <param name="Nemesis">The nemesis name, e.g. <c>partition-random-halves</c>.</param>
/// <param name="Description">What it did, e.g. <c>{dc1-a,dc2-b} | {dc1-b,dc2-a,dc3-w}</c>.</param>
/// <param name="Start">When injection finished.</param>
/// <param name="End">When healing finished.</param>
internal sealed record FaultWindow(string Nemesis, string Description, double Start, double End);
