using GlobalZone.StateMachine.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalZone.Server.Auth;

/// <summary>
/// Wires users and roles into ASP.NET Core's own machinery: the bearer scheme authenticates, and each client route
/// states its requirement with <c>RequireAuthorization</c> (see the helpers below), enforced by the authorization
/// middleware before the endpoint runs. Peer routes (the Raft endpoint, <c>/internal/...</c>) carry no requirement:
/// members authenticate each other with mTLS, not user tokens.
/// </summary>
internal static class AuthRegistration
{
    public const string AdminPolicy = "gz:admin";
    public const string ReadPolicy = "gz:read";
    public const string WritePolicy = "gz:write";
    public const string AnyGrantPolicy = "gz:any-grant";

    public static IServiceCollection AddGlobalZoneAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<TokenAttemptLimiter>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.AddSingleton<IAuthorizationHandler, AccessRequirements>();
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, policy => policy.AddRequirements(new AdminRequirement()))
            .AddPolicy(ReadPolicy, policy => policy.AddRequirements(new KeyAccessRequirement(KeyAccess.Read)))
            .AddPolicy(WritePolicy, policy => policy.AddRequirements(new KeyAccessRequirement(KeyAccess.Write)))
            .AddPolicy(AnyGrantPolicy, policy => policy.AddRequirements(new KeyAccessRequirement(KeyAccess.None)));
        return services;
    }

    /// <summary>Admin only (the <c>root</c> role).</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.RequireAuthorization(AdminPolicy);

    /// <summary>Read access on the key the scope names (or, without one, on some prefix).</summary>
    public static TBuilder RequireRead<TBuilder>(this TBuilder builder, KeyScope? scope = null)
        where TBuilder : IEndpointConventionBuilder
        => WithScope(builder.RequireAuthorization(ReadPolicy), scope);

    /// <summary>Write access on the key the scope names (or, without one, on some prefix).</summary>
    public static TBuilder RequireWrite<TBuilder>(this TBuilder builder, KeyScope? scope = null)
        where TBuilder : IEndpointConventionBuilder
        => WithScope(builder.RequireAuthorization(WritePolicy), scope);

    /// <summary>Any grant; the endpoint checks each key of the request itself.</summary>
    public static TBuilder RequireAnyGrant<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.RequireAuthorization(AnyGrantPolicy);

    private static TBuilder WithScope<TBuilder>(TBuilder builder, KeyScope? scope)
        where TBuilder : IEndpointConventionBuilder
        => scope is null ? builder : builder.WithMetadata(scope);
}
