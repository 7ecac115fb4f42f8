namespace GlobalZone.Jepsen.Checker;

/// <summary>An EDN keyword such as <c>:invoke</c>, held without its colon.</summary>
/// <param name="Name">The keyword's text after the colon.</param>
internal sealed record EdnKeyword(string Name);
