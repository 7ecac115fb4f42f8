using System.Text.Json;
using System.Text.Json.Serialization;

namespace GlobalZone.Contracts;

/// <summary>Source-generated JSON for every wire type (no reflection on the hot path).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClusterStatus))]
[JsonSerializable(typeof(MemberAddRequest))]
[JsonSerializable(typeof(MembershipChange))]
[JsonSerializable(typeof(WriteResult))]
[JsonSerializable(typeof(ProblemDetailsBody))]
[JsonSerializable(typeof(KeyValue))]
[JsonSerializable(typeof(TxnRequest))]
[JsonSerializable(typeof(TxnResponse))]
[JsonSerializable(typeof(LeaseGrantRequest))]
[JsonSerializable(typeof(LeaseInfo))]
[JsonSerializable(typeof(LeaseList))]
[JsonSerializable(typeof(LockAcquireRequest))]
[JsonSerializable(typeof(LockGrant))]
[JsonSerializable(typeof(LockInfo))]
[JsonSerializable(typeof(LockList))]
[JsonSerializable(typeof(WatchRevision))]
[JsonSerializable(typeof(WatchProgress))]
[JsonSerializable(typeof(AuthTokenRequest))]
[JsonSerializable(typeof(AuthToken))]
[JsonSerializable(typeof(AuthStatus))]
[JsonSerializable(typeof(UserAddRequest))]
[JsonSerializable(typeof(PasswordChangeRequest))]
[JsonSerializable(typeof(UserInfo))]
[JsonSerializable(typeof(UserList))]
[JsonSerializable(typeof(RoleAddRequest))]
[JsonSerializable(typeof(Permission))]
[JsonSerializable(typeof(RoleInfo))]
[JsonSerializable(typeof(RoleList))]
[JsonSerializable(typeof(StatusPageUpdate))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
