using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>
/// Strict reading of JSON request bodies: unknown fields, wrong types, numbers in strings, missing required fields
/// and trailing garbage are 400s that say what is wrong, never silently ignored and never a 500.
/// </summary>
internal static class RequestJson
{
    /// <summary>Extra room over the value limit for the JSON around values (keys, compares, field names).</summary>
    public const int EnvelopeBytes = 64 << 10;

    /// <summary>The parsed body, or null after writing a 4xx problem.</summary>
    public static async Task<T?> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type, int limit)
        where T : class
    {
        if (!IsJsonish(context.Request.ContentType))
        {
            await Problems.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType, "Send JSON.",
                $"Content-Type '{context.Request.ContentType}' is not JSON; send application/json.");
            return null;
        }

        var body = await RequestBody.ReadLimitedAsync(context, limit);
        if (body is null)
            return null;
        if (body.Length == 0)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidJson, $"The body is empty; send a JSON object ({typeof(T).Name}).");
            return null;
        }

        try
        {
            var value = JsonSerializer.Deserialize(body, type);
            if (value is null)
                await Problems.BadRequest(context, ProblemTypes.InvalidJson, "The body is JSON null; send a JSON object.");
            return value;
        }
        catch (JsonException e)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidJson, "The body is not a valid request: " + Describe(e));
            return null;
        }
    }

    /// <summary>System.Text.Json's messages name .NET types; say what is wrong in the request's own terms.</summary>
    internal static string Describe(JsonException e)
    {
        var path = e.Path is { Length: > 0 } p ? p : "$";
        var message = e.Message;
        if (Regex.Match(message, "The JSON property '(.+?)' could not be mapped") is { Success: true } unknown)
            return $"unknown field '{unknown.Groups[1].Value}' at {path}.";
        if (Regex.Match(message, "missing required properties including: (.+?)\\.?$") is { Success: true } missing)
            return $"missing required field(s) {missing.Groups[1].Value.TrimEnd('.')} at {path}.";
        if (message.Contains("could not be converted", StringComparison.Ordinal))
            return $"wrong type of value at {path}.";
        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && message.Contains("non-nullable", StringComparison.OrdinalIgnoreCase))
            return $"null is not allowed at {path}.";
        // Syntax errors already read well ("'}' is invalid after a property name..."), minus the .NET type names.
        return Regex.Replace(message, "GlobalZone\\.Contracts\\.|System\\.", "");
    }

    /// <summary>
    /// JSON, or what curl sends by default with <c>-d</c> (form encoding) or nothing: refusing those would only
    /// make the README's one-liners fail.
    /// </summary>
    private static bool IsJsonish(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
            return true;
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || media.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || media.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The request types, read strictly (see <see cref="RequestJson"/>).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    MaxDepth = 64)]
[JsonSerializable(typeof(TxnRequest))]
[JsonSerializable(typeof(LeaseGrantRequest))]
[JsonSerializable(typeof(LockAcquireRequest))]
[JsonSerializable(typeof(MemberAddRequest))]
[JsonSerializable(typeof(AuthTokenRequest))]
[JsonSerializable(typeof(UserAddRequest))]
[JsonSerializable(typeof(PasswordChangeRequest))]
[JsonSerializable(typeof(RoleAddRequest))]
[JsonSerializable(typeof(Permission))]
internal sealed partial class RequestJsonContext : JsonSerializerContext;
