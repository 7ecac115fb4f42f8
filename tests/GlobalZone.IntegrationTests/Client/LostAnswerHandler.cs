namespace GlobalZone.IntegrationTests.Client;

/// <summary>
/// A transport that lets the first write reach the member and be applied, then loses its answer (as a connection
/// reset or a timeout would): the client cannot know whether it applied, and must retry without applying twice.
/// </summary>
internal sealed class LostAnswerHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private int writes;

    /// <summary>The answers the client did get, in order: status and the Idempotent-Replayed header.</summary>
    public List<(int Status, string? Replayed)> Delivered { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method != HttpMethod.Get && Interlocked.Increment(ref writes) == 1)
        {
            response.Dispose();
            throw new HttpRequestException(HttpRequestError.ResponseEnded, "answer lost on purpose after the member applied the write");
        }

        if (request.Method != HttpMethod.Get)
        {
            lock (Delivered)
                Delivered.Add(((int)response.StatusCode, response.Headers.TryGetValues("Idempotent-Replayed", out var values) ? values.First() : null));
        }

        return response;
    }
}
