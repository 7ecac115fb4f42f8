using System.Net;
using System.Text;
using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Tests.Traffic;

/// <summary>
/// An HTTP server standing in for a member: it answers each request with the next scripted response, and remembers
/// the requests (method, path and query, If-Match) so a test can see what a workload sent.
/// </summary>
internal sealed class FakeMember : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Queue<(int Status, string Body)> script = new();
    private readonly Task serving;

    public FakeMember()
    {
        var port = ClusterLayout.FreePort();
        Spec = new MemberSpec("fake", "dc1", "voter", port);
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        serving = Task.Run(ServeAsync);
    }

    public MemberSpec Spec { get; }

    public List<string> Requests { get; } = [];

    public FakeMember Then(int status, string body = "")
    {
        lock (script)
            script.Enqueue((status, body));
        return this;
    }

    /// <summary>A found key: <c>{"key":..,"value":V,"modRevision":R}</c>.</summary>
    public FakeMember ThenValue(string value, long modRevision)
        => Then(200, $$"""{"key":"k","value":{{value}},"createRevision":1,"modRevision":{{modRevision}},"version":1}""");

    public FakeMember ThenProblem(int status) => Then(status, $$"""{"type":"t","title":"t","status":{{status}},"detail":"scripted {{status}}"}""");

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            (int Status, string Body) next;
            lock (script)
            {
                Requests.Add($"{context.Request.HttpMethod} {context.Request.Url!.PathAndQuery}" + (context.Request.Headers["If-Match"] is { } ifMatch ? $" If-Match {ifMatch}" : ""));
                next = script.Count > 0 ? script.Dequeue() : (500, "script exhausted");
            }

            context.Response.StatusCode = next.Status;
            var bytes = Encoding.UTF8.GetBytes(next.Body);
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        serving.Wait(TimeSpan.FromSeconds(5));
    }
}
