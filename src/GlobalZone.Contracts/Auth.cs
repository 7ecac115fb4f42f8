namespace GlobalZone.Contracts;

/// <summary><c>POST /v1/auth/token</c>: a user's name and password, exchanged for a bearer token.</summary>
public sealed record AuthTokenRequest
{
    public required string Name { get; init; }

    public required string Password { get; init; }
}

/// <summary>A bearer token (send as <c>Authorization: Bearer ...</c>) and when it stops being accepted.</summary>
public sealed record AuthToken
{
    public required string Token { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public required double TtlSeconds { get; init; }
}

/// <summary><c>GET /v1/auth/status</c>.</summary>
public sealed record AuthStatus
{
    public required bool Enabled { get; init; }

    /// <summary>The user the request was authenticated as, when it carried a valid token.</summary>
    public string? User { get; init; }
}

/// <summary><c>POST /v1/auth/users</c>.</summary>
public sealed record UserAddRequest
{
    public required string Name { get; init; }

    public required string Password { get; init; }
}

/// <summary><c>PUT /v1/auth/users/{name}/password</c>.</summary>
public sealed record PasswordChangeRequest
{
    public required string Password { get; init; }
}

/// <summary>A user and the roles granted to it (never its password or hash).</summary>
public sealed record UserInfo
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> Roles { get; init; }
}

public sealed record UserList
{
    public required IReadOnlyList<UserInfo> Users { get; init; }
}

/// <summary><c>POST /v1/auth/roles</c>.</summary>
public sealed record RoleAddRequest
{
    public required string Name { get; init; }
}

/// <summary>
/// A grant: <see cref="Access"/> (<c>read</c>, <c>write</c> or <c>readwrite</c>) on every key starting with
/// <see cref="Prefix"/> (empty: every key). Locks are checked against their name as a key.
/// </summary>
public sealed record Permission
{
    public required string Prefix { get; init; }

    public required string Access { get; init; }
}

public sealed record RoleInfo
{
    public required string Name { get; init; }

    public required IReadOnlyList<Permission> Permissions { get; init; }
}

public sealed record RoleList
{
    public required IReadOnlyList<RoleInfo> Roles { get; init; }
}
