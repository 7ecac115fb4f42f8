namespace GlobalZone.Client.Internal;

/// <summary>One Server-Sent Event: its <c>event</c> name, its <c>id</c> (null when absent) and its data lines joined.</summary>
internal sealed record SseEvent(string Name, string? Id, string Data);
