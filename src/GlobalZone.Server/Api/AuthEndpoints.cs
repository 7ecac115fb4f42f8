using System.Security.Cryptography;
using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Auth;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>/v1/auth</c>: <c>POST token</c> (public: name and password for a bearer token), <c>GET status</c> (public),
/// and, for the root role only, <c>POST enable|disable</c>, users (<c>/users</c>, <c>/users/{name}</c>,
/// <c>/users/{name}/password</c>, <c>/users/{name}/roles/{role}</c>) and roles (<c>/roles</c>, <c>/roles/{name}</c>,
/// <c>/roles/{name}/permissions</c>). Every change is a command in the log; passwords are hashed here, before proposing.
/// </summary>
internal static class AuthEndpoints
{
    private const int MaxPasswordLength = 1024;
    private const int BodyLimit = 16 << 10;

    // Verified against when the user does not exist, so that a wrong name costs as long as a wrong password.
    private static readonly Lazy<PasswordHash> Decoy = new(() => PasswordHash.Create(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    public static void MapAuthApi(this IEndpointRouteBuilder app)
    {
        // Public by design: the token exchange is how a caller authenticates, and status only says whether to.
        app.MapPost("/v1/auth/token", EndpointDocs.Handler(context => TokenAsync(context))).AllowAnonymous()
            .Doc("Auth", "Exchange a user's name and password for a bearer token (valid GlobalZone:Auth:TokenTtlSeconds, default 300 s). Public.")
            .Body<AuthTokenRequest>()
            .Answers<AuthToken>(200, "token")
            .Fails(400, "invalid request")
            .Fails(401, "invalid-credentials")
            .Fails(409, "auth-not-enabled: no token is needed");
        app.MapGet("/v1/auth/status", EndpointDocs.Handler(context => StatusAsync(context))).AllowAnonymous()
            .Doc("Auth", "Whether auth is enabled, and the user of the request's token if any. Public.")
            .Answers<AuthStatus>(200, "status");

        var admin = app.MapGroup("/v1/auth").RequireAdmin();
        // A fresh secret per enable: tokens from before a disable do not come back to life.
        admin.MapPost("/enable", EndpointDocs.Handler(context
            => ProposeAsync(context, new AuthCommand(AuthOperation.Enable, "auth", Data: RandomNumberGenerator.GetBytes(32)), StatusCodes.Status200OK)))
            .Doc("Auth", "Turn auth on (root role). Refused until user root exists with role root.")
            .Answers<AuthStatus>(200, "enabled")
            .Fails(409, "auth-conflict: no root user with the root role")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapPost("/disable", EndpointDocs.Handler(context => ProposeAsync(context, new AuthCommand(AuthOperation.Disable, "auth"), StatusCodes.Status200OK)))
            .Doc("Auth", "Turn auth off (root role); users and roles are kept.")
            .Answers<AuthStatus>(200, "disabled")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapGet("/users", EndpointDocs.Handler(context => ListUsersAsync(context)))
            .Doc("Auth", "List users and their roles (root role).")
            .Answers<UserList>(200, "users")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapPost("/users", EndpointDocs.Handler(context => AddUserAsync(context)))
            .Doc("Auth", "Add a user (root role); the password is hashed (PBKDF2-SHA256) before it is replicated.")
            .Body<UserAddRequest>()
            .Answers<UserInfo>(201, "added")
            .Fails(400, "invalid request")
            .Fails(409, "auth-conflict: exists")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapGet("/users/{name}", (HttpContext context, string name) => GetUserAsync(context, name))
            .Doc("Auth", "A user and its roles (root role).")
            .Answers<UserInfo>(200, "user")
            .Fails(404, "user-not-found")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapDelete("/users/{name}", (HttpContext context, string name) => ProposeAsync(context, new AuthCommand(AuthOperation.UserDelete, name), StatusCodes.Status200OK))
            .Doc("Auth", "Delete a user (root role); its tokens stop working.")
            .Answers(204, "deleted")
            .Fails(404, "user-not-found")
            .Fails(409, "auth-conflict: root while auth is on")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapPut("/users/{name}/password", (HttpContext context, string name) => ChangePasswordAsync(context, name))
            .Doc("Auth", "Change a user's password (root role).")
            .Body<PasswordChangeRequest>()
            .Answers<UserInfo>(200, "changed")
            .Fails(404, "user-not-found")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapPut("/users/{name}/roles/{role}", (HttpContext context, string name, string role)
            => ProposeAsync(context, new AuthCommand(AuthOperation.UserGrantRole, name, role), StatusCodes.Status200OK))
            .Doc("Auth", "Grant a role to a user (root role).")
            .Answers<UserInfo>(200, "granted")
            .Fails(404, "user-not-found or role-not-found")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapDelete("/users/{name}/roles/{role}", (HttpContext context, string name, string role)
            => ProposeAsync(context, new AuthCommand(AuthOperation.UserRevokeRole, name, role), StatusCodes.Status200OK))
            .Doc("Auth", "Revoke a role from a user (root role).")
            .Answers<UserInfo>(200, "revoked")
            .Fails(404, "user-not-found or role-not-found")
            .Fails(409, "auth-conflict: root's root role while auth is on")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapGet("/roles", EndpointDocs.Handler(context => ListRolesAsync(context)))
            .Doc("Auth", "List roles and their permissions (root role); root is built in.")
            .Answers<RoleList>(200, "roles")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapPost("/roles", EndpointDocs.Handler(context => AddRoleAsync(context)))
            .Doc("Auth", "Add a role with no permissions (root role).")
            .Body<RoleAddRequest>()
            .Answers<RoleInfo>(201, "added")
            .Fails(409, "auth-conflict: exists")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapGet("/roles/{name}", (HttpContext context, string name) => GetRoleAsync(context, name))
            .Doc("Auth", "A role and its permissions (root role).")
            .Answers<RoleInfo>(200, "role")
            .Fails(404, "role-not-found")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapDelete("/roles/{name}", (HttpContext context, string name) => ProposeAsync(context, new AuthCommand(AuthOperation.RoleDelete, name), StatusCodes.Status200OK))
            .Doc("Auth", "Delete a role and take it from every user (root role).")
            .Answers(204, "deleted")
            .Fails(404, "role-not-found")
            .Fails(409, "auth-conflict: root")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapPost("/roles/{name}/permissions", (HttpContext context, string name) => GrantPermissionAsync(context, name))
            .Doc("Auth", "Grant read, write or readwrite on every key under a prefix (root role); replaces a grant on the same prefix.")
            .Body<Permission>()
            .Answers<RoleInfo>(200, "granted")
            .Fails(400, "invalid request")
            .Fails(404, "role-not-found")
            .Fails(403, ApiText.NeedsRoot);
        admin.MapDelete("/roles/{name}/permissions", (HttpContext context, string name) => RevokePermissionAsync(context, name))
            .Doc("Auth", "Remove the grant on ?prefix= (root role).")
            .Query("prefix", null, "string", required: true)
            .Answers<RoleInfo>(200, "revoked")
            .Fails(404, "role-not-found or no such grant")
            .Fails(403, ApiText.NeedsRoot);
    }

    private static async Task TokenAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var request = await RequestJson.ReadAsync(context, RequestJsonContext.Default.AuthTokenRequest, BodyLimit);
        if (request is null)
            return;
        var state = cluster.State.Auth;
        if (!state.Enabled)
        {
            await Problems.WriteAsync(context, StatusCodes.Status409Conflict, ProblemTypes.AuthNotEnabled, "Auth is not enabled.",
                "Requests need no token while auth is off; enable it with POST /v1/auth/enable (gz auth enable).");
            return;
        }

        // Bounded before the costly password check (see TokenAttemptLimiter).
        var limiter = context.RequestServices.GetRequiredService<TokenAttemptLimiter>();
        using var slot = await limiter.WaitForCheckSlotAsync(context.RequestAborted);
        if (!slot.IsAcquired)
        {
            context.Response.Headers.RetryAfter = "1";
            await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyRequests, "Too many token requests at once.",
                "This member is checking as many passwords as it has cores, with a full queue; retry in a second.");
            return;
        }

        using var attempt = limiter.TryAttempt(request.Name, context.Connection.RemoteIpAddress?.ToString() ?? "");
        if (!attempt.IsAcquired)
        {
            var after = TokenAttemptLimiter.RetryAfterSeconds(attempt);
            context.Response.Headers.RetryAfter = after.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyRequests, "Too many token requests for this user.",
                $"At most {context.RequestServices.GetRequiredService<AuthOptions>().TokenAttemptsPerMinute} a minute per user and client address (GlobalZone:Auth:TokenAttemptsPerMinute); retry in {after} s.");
            return;
        }

        var found = state.Users.TryGetValue(request.Name, out var user);
        var matches = (found ? user!.Password : Decoy.Value).Verify(request.Password);
        if (!found || !matches)
        {
            await Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, ProblemTypes.InvalidCredentials, "Invalid credentials.",
                "The user does not exist or the password is wrong.");
            return;
        }

        var options = context.RequestServices.GetRequiredService<AuthOptions>();
        var expiresAt = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow() + options.TokenTtl;
        var token = new AuthToken
        {
            Token = BearerTokens.Issue(request.Name, expiresAt, state.Settings.TokenSecret),
            ExpiresAt = expiresAt,
            TtlSeconds = options.TokenTtlSeconds,
        };
        await WriteAsync(context, StatusCodes.Status200OK, token, ContractsJsonContext.Default.AuthToken);
    }

    private static Task StatusAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var status = new AuthStatus
        {
            Enabled = cluster.State.Auth.Enabled,
            User = context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null,
        };
        return WriteAsync(context, StatusCodes.Status200OK, status, ContractsJsonContext.Default.AuthStatus);
    }

    private static async Task AddUserAsync(HttpContext context)
    {
        var request = await RequestJson.ReadAsync(context, RequestJsonContext.Default.UserAddRequest, BodyLimit);
        if (request is null || !await CheckNameAsync(context, request.Name) || !await CheckPasswordAsync(context, request.Password))
            return;
        await ProposeAsync(context, new AuthCommand(AuthOperation.UserAdd, request.Name, Data: PasswordHash.Create(request.Password).Encode()), StatusCodes.Status201Created);
    }

    private static async Task ChangePasswordAsync(HttpContext context, string name)
    {
        var request = await RequestJson.ReadAsync(context, RequestJsonContext.Default.PasswordChangeRequest, BodyLimit);
        if (request is null || !await CheckPasswordAsync(context, request.Password))
            return;
        await ProposeAsync(context, new AuthCommand(AuthOperation.UserPassword, name, Data: PasswordHash.Create(request.Password).Encode()), StatusCodes.Status200OK);
    }

    private static async Task AddRoleAsync(HttpContext context)
    {
        var request = await RequestJson.ReadAsync(context, RequestJsonContext.Default.RoleAddRequest, BodyLimit);
        if (request is null || !await CheckNameAsync(context, request.Name))
            return;
        await ProposeAsync(context, new AuthCommand(AuthOperation.RoleAdd, request.Name), StatusCodes.Status201Created);
    }

    private static async Task GrantPermissionAsync(HttpContext context, string name)
    {
        var request = await RequestJson.ReadAsync(context, RequestJsonContext.Default.Permission, BodyLimit);
        if (request is null)
            return;
        if (ParseAccess(request.Access) is not { } access)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "access must be read, write or readwrite.");
            return;
        }

        if (request.Prefix.Length > 0 && KeyValidation.Problem(request.Prefix) is { } problem)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidKey, "prefix: " + problem);
            return;
        }

        await ProposeAsync(context, new AuthCommand(AuthOperation.RoleGrantPermission, name, request.Prefix, Access: access), StatusCodes.Status200OK);
    }

    private static async Task RevokePermissionAsync(HttpContext context, string name)
    {
        if (!context.Request.Query.TryGetValue("prefix", out var prefix))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "Name the grant to revoke with ?prefix= (empty for the every-key grant).");
            return;
        }

        await ProposeAsync(context, new AuthCommand(AuthOperation.RoleRevokePermission, name, prefix.ToString()), StatusCodes.Status200OK);
    }

    private static async Task ListUsersAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (!await ReadConsistency.PrepareAsync(context, cluster))
            return;
        var users = cluster.State.Auth.Users.Values.OrderBy(u => u.Name, StringComparer.Ordinal).Select(Info).ToList();
        await WriteAsync(context, StatusCodes.Status200OK, new UserList { Users = users }, ContractsJsonContext.Default.UserList);
    }

    private static async Task GetUserAsync(HttpContext context, string name)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (!await ReadConsistency.PrepareAsync(context, cluster))
            return;
        if (!cluster.State.Auth.Users.TryGetValue(name, out var user))
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, ProblemTypes.UserNotFound, "No such user.", $"User '{name}' does not exist.");
            return;
        }

        await WriteAsync(context, StatusCodes.Status200OK, Info(user), ContractsJsonContext.Default.UserInfo);
    }

    private static async Task ListRolesAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (!await ReadConsistency.PrepareAsync(context, cluster))
            return;
        var roles = cluster.State.Auth.Roles.Values.Prepend(AuthRole.Empty(AuthRole.Root)).OrderBy(r => r.Name, StringComparer.Ordinal).Select(Info).ToList();
        await WriteAsync(context, StatusCodes.Status200OK, new RoleList { Roles = roles }, ContractsJsonContext.Default.RoleList);
    }

    private static async Task GetRoleAsync(HttpContext context, string name)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (!await ReadConsistency.PrepareAsync(context, cluster))
            return;
        var role = name == AuthRole.Root ? AuthRole.Empty(AuthRole.Root) : cluster.State.Auth.Roles.GetValueOrDefault(name);
        if (role is null)
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, ProblemTypes.RoleNotFound, "No such role.", $"Role '{name}' does not exist.");
            return;
        }

        await WriteAsync(context, StatusCodes.Status200OK, Info(role), ContractsJsonContext.Default.RoleInfo);
    }

    private static UserInfo Info(AuthUser user) => new() { Name = user.Name, Roles = [.. user.Roles] };

    private static RoleInfo Info(AuthRole role) => new()
    {
        Name = role.Name,
        // The built-in root role is shown as what it amounts to on keys; it also holds every admin right.
        Permissions = role.Name == AuthRole.Root
            ? [new Permission { Prefix = "", Access = "readwrite" }]
            : role.Permissions.Select(p => new Permission { Prefix = p.Key, Access = AccessRequirements.Name(p.Value) }).ToList(),
    };

    private static KeyAccess? ParseAccess(string text) => text.ToLowerInvariant() switch
    {
        "read" => KeyAccess.Read,
        "write" => KeyAccess.Write,
        "readwrite" or "read-write" or "rw" => KeyAccess.ReadWrite,
        _ => null,
    };

    private static async Task<bool> CheckNameAsync(HttpContext context, string name)
    {
        if (name.Length is > 0 and <= KeyValueStateMachine.MaxAuthNameLength && !name.Any(char.IsControl) && !name.Contains('/'))
            return true;
        await Problems.BadRequest(context, ProblemTypes.BadRequest, $"name must be 1 to {KeyValueStateMachine.MaxAuthNameLength} printable characters, without '/'.");
        return false;
    }

    private static async Task<bool> CheckPasswordAsync(HttpContext context, string password)
    {
        if (password.Length is > 0 and <= MaxPasswordLength)
            return true;
        await Problems.BadRequest(context, ProblemTypes.BadRequest, $"password must be 1 to {MaxPasswordLength} characters.");
        return false;
    }

    /// <summary>Proposes the change and answers with the state after it, or its refusal as a problem.</summary>
    private static async Task ProposeAsync(HttpContext context, AuthCommand command, int status)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        // BeforeAnswer: the answer is read from this member's state below; a follower that answered as soon as the leader
        // applied could read it before its own apply (an added user answered 204 with no body instead of 201).
        var result = await cluster.ProposeAsync(command, LocalApply.BeforeAnswer, context.RequestAborted);
        ReadConsistency.StampHeaders(context, cluster);
        var detail = result.Error ?? "The change was refused.";
        switch (result.Status)
        {
            case CommandStatus.Applied:
                break;
            case CommandStatus.NotFound:
                var aboutRole = detail.StartsWith("Role", StringComparison.Ordinal);
                await Problems.WriteAsync(context, StatusCodes.Status404NotFound, aboutRole ? ProblemTypes.RoleNotFound : ProblemTypes.UserNotFound,
                    aboutRole ? "No such role." : "No such user.", detail);
                return;
            case CommandStatus.Conflict:
                await Problems.WriteAsync(context, StatusCodes.Status409Conflict, ProblemTypes.AuthConflict, "The change conflicts with the users and roles.", detail);
                return;
            default:
                await Problems.BadRequest(context, ProblemTypes.BadRequest, detail);
                return;
        }

        var state = cluster.State.Auth;
        switch (command.Operation)
        {
            case AuthOperation.Enable or AuthOperation.Disable:
                await WriteAsync(context, status, new AuthStatus { Enabled = state.Enabled }, ContractsJsonContext.Default.AuthStatus);
                break;
            case AuthOperation.RoleAdd or AuthOperation.RoleGrantPermission or AuthOperation.RoleRevokePermission when state.Roles.TryGetValue(command.Name, out var role):
                await WriteAsync(context, status, Info(role), ContractsJsonContext.Default.RoleInfo);
                break;
            case AuthOperation.UserAdd or AuthOperation.UserPassword or AuthOperation.UserGrantRole or AuthOperation.UserRevokeRole
                when state.Users.TryGetValue(command.Name, out var user):
                await WriteAsync(context, status, Info(user), ContractsJsonContext.Default.UserInfo);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
        }
    }

    private static Task WriteAsync<T>(HttpContext context, int status, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        => KeyValueEndpoints.WriteJsonAsync(context, status, writer => JsonSerializer.Serialize(writer, value, type));
}
