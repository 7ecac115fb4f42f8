using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GlobalZone.IntegrationTests.Tracing;

/// <summary>One span as a member exported it (the fields the tests look at).</summary>
internal sealed record ReceivedSpan(string Scope, string Name, string TraceId, string SpanId, string ParentSpanId, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// A minimal OTLP/HTTP traces endpoint (<c>POST /v1/traces</c>, protobuf) on 127.0.0.1: members export to it like
/// to a collector, and it keeps every span. Reads only the few protobuf fields it needs and skips the rest.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task loop;

    public OtlpReceiver()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}";
        listener.Prefixes.Add(Url + "/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    public int Requests;

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

            try
            {
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                if (context.Request.Url?.AbsolutePath == "/v1/traces")
                {
                    foreach (var span in ParseExportRequest(body.ToArray()))
                        Spans.Enqueue(span);
                    Interlocked.Increment(ref Requests);
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
            }
            catch (Exception)
            {
                context.Response.StatusCode = 400;
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    // ScopeSpans { InstrumentationScope scope = 1 { string name = 1; }; repeated Span spans = 2; }
    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; repeated KeyValue attributes = 9; }
    internal static IEnumerable<ReceivedSpan> ParseExportRequest(byte[] message)
    {
        foreach (var (field, resourceSpans) in Fields(message))
        {
            if (field != 1)
                continue;
            foreach (var (rsField, scopeSpans) in Fields(resourceSpans))
            {
                if (rsField != 2)
                    continue;
                var scope = "";
                foreach (var (ssField, value) in Fields(scopeSpans))
                {
                    if (ssField == 1)
                        scope = Text(Fields(value).FirstOrDefault(f => f.Field == 1).Value);
                    else if (ssField == 2)
                        yield return ParseSpan(scope, value);
                }
            }
        }
    }

    private static ReceivedSpan ParseSpan(string scope, ReadOnlyMemory<byte> span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var attributes = new Dictionary<string, string>();
        foreach (var (field, value) in Fields(span))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value.Span); break;
                case 2: spanId = Convert.ToHexStringLower(value.Span); break;
                case 4: parent = Convert.ToHexStringLower(value.Span); break;
                case 5: name = Text(value); break;
                case 9:
                    var key = "";
                    var text = "";
                    foreach (var (kvField, kv) in Fields(value))
                    {
                        if (kvField == 1)
                            key = Text(kv);
                        else if (kvField == 2)
                            text = AnyValue(kv);
                    }

                    attributes[key] = text;
                    break;
            }
        }

        return new ReceivedSpan(scope, name, traceId, spanId, parent, attributes);
    }

    // AnyValue { string string_value = 1; bool bool_value = 2; int64 int_value = 3; ... }
    private static string AnyValue(ReadOnlyMemory<byte> value)
    {
        var (field, wire, payload, number) = RawFields(value).FirstOrDefault();
        return field switch
        {
            1 when wire == 2 => Text(payload),
            2 or 3 when wire == 0 => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "",
        };
    }

    private static string Text(ReadOnlyMemory<byte> value) => Encoding.UTF8.GetString(value.Span);

    /// <summary>The length-delimited fields of a message (the only kind the parser descends into or reads as text).</summary>
    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Value)> Fields(ReadOnlyMemory<byte> message)
        => RawFields(message).Where(f => f.Wire == 2).Select(f => (f.Field, f.Payload));

    private static IEnumerable<(int Field, int Wire, ReadOnlyMemory<byte> Payload, long Number)> RawFields(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var tag = ReadVarint(message.Span, ref position);
            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            switch (wire)
            {
                case 0:
                    yield return (field, wire, default, (long)ReadVarint(message.Span, ref position));
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message.Span, ref position);
                    yield return (field, wire, message.Slice(position, length), 0);
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {wire}.");
            }
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return result;
        }

        throw new InvalidDataException("Malformed varint.");
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await loop.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
