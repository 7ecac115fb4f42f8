using System.Net;
using System.Text;
using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.ClientTests;

/// <summary>An HTTP transport whose answers a test scripts per request; records every request it saw.</summary>
internal sealed class StubTransport(Func<HttpRequestMessage, int, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    private int count;

    public List<(Uri Url, string Method, string? IdempotencyKey)> Requests { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var key = request.Headers.TryGetValues(HeaderNames.IdempotencyKey, out var values) ? values.First() : null;
        int n;
        lock (Requests)
        {
            Requests.Add((request.RequestUri!, request.Method.Method, key));
            n = count++;
        }

        var response = await answer(request, n);
        response.RequestMessage = request;
        return response;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, string mediaType = "application/json")
        => new(status) { Content = new StringContent(json, Encoding.UTF8, mediaType) };

    public static HttpResponseMessage Problem(HttpStatusCode status, string type, string? detail = null)
        => Json(status, JsonSerializer.Serialize(new ProblemDetailsBody { Type = type, Title = type, Status = (int)status, Detail = detail }, ContractsJsonContext.Default.ProblemDetailsBody),
            "application/problem+json");

    public static HttpRequestException Refused() => new(HttpRequestError.ConnectionError, "Connection refused");

    /// <summary>A <c>/v1/cluster</c> answer: members a (dc1), b (dc2), w (witness, dc3); leader as given.</summary>
    public static HttpResponseMessage Cluster(string? leader)
    {
        MemberStatus Member(string id, string site, bool witness = false) => new()
        {
            Id = id, Url = $"http://{id}.test:7000", Site = site, Role = witness ? "witness" : "voter", IsWitness = witness,
            IsLeader = id == leader, IsLocal = id == "a",
        };
        var status = new ClusterStatus
        {
            ClusterName = "stub", MemberId = "a", Site = "dc1", Role = "voter", LeaderId = leader, LeaderUrl = leader is null ? null : $"http://{leader}.test:7000",
            Term = 1, CommitIndex = 1, AppliedIndex = 1, Revision = 1, SnapshotIndex = 0,
            Members = [Member("a", "dc1"), Member("b", "dc2"), Member("w", "dc3", witness: true)],
        };
        return Json(HttpStatusCode.OK, JsonSerializer.Serialize(status, ContractsJsonContext.Default.ClusterStatus));
    }
}
