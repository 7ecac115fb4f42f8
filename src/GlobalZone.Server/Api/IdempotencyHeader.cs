using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>Idempotency-Key</c>: 1–128 printable characters chosen by the client per logical write. A write carrying one
/// applies at most once; a retry with the same key (and the same request) gets the first outcome back, marked
/// <c>Idempotent-Replayed: true</c>; the same key with a different request is refused (422).
/// </summary>
internal static class IdempotencyHeader
{
    public static bool TryRead(HttpContext context, out string? idempotencyKey, out string? problem)
    {
        problem = null;
        idempotencyKey = null;
        if (!context.Request.Headers.TryGetValue(HeaderNames.IdempotencyKey, out var value))
            return true;
        var text = value.ToString();
        if (value.Count != 1 || text.Length is 0 or > Limits.MaxIdempotencyKeyLength || text.Any(char.IsControl))
        {
            problem = $"Idempotency-Key must be one value of 1 to {Limits.MaxIdempotencyKeyLength} printable characters.";
            return false;
        }

        idempotencyKey = text;
        // Every idempotent write adds a record every member keeps in memory for the window: refuse past the cap.
        context.RequestServices.GetService<Capacity.ProposalQuotas>()?.CheckIdempotencyKey(text);
        return true;
    }
}
