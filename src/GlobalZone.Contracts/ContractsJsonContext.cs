using System.Text.Json;
using System.Text.Json.Serialization;

namespace GlobalZone.Contracts;

/// <summary>Source-generated JSON for every wire type (no reflection on the hot path).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClusterStatus))]
[JsonSerializable(typeof(WriteResult))]
[JsonSerializable(typeof(ProblemDetailsBody))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
