using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Mesh.Auditing;
using Mesh.Errors;
using Mesh.Identity;
using Mesh.ServiceDefaults.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Mesh.ServiceDefaults.Identity;

/// <summary>
/// Authenticates the caller of a gRPC call from its TLS client certificate (or one forwarded by
/// a trusted TLS-terminating proxy, see <c>Mesh:Endpoint:ForwardedClientCertificateHeader</c>).
/// The TLS layer accepts any certificate; the trust decision is the certificate's binding in the
/// registry, which was validated against the trust anchors when it was bound.
/// Authentication is lazy so that health checks and reflection need no certificate.
/// Another Mesh service calling through a Dapr sidecar is authenticated by the sidecar instead (see
/// <see cref="InternalCallerOptions"/>), and only on the h2c listener the sidecar uses.
/// </summary>
public sealed class CallerAccessor(ICertificateDirectory directory, IAuditTrail audit, TimeProvider time, IOptions<MeshEndpointOptions> endpoint)
{
    /// <summary>Metadata in which the Dapr sidecar names the (mTLS-authenticated) calling app.</summary>
    public const string DaprCallerAppIdHeader = "dapr-caller-app-id";

    /// <summary>Metadata in which the local Dapr sidecar presents the app API token.</summary>
    public const string DaprApiTokenHeader = "dapr-api-token";

    private static readonly object CacheKey = new();
    private readonly string daprApiToken = DaprToken(endpoint.Value.Internal);

    /// <summary>Returns the authenticated caller or throws UNAUTHENTICATED / PERMISSION_DENIED.</summary>
    public async ValueTask<Caller> RequireCallerAsync(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        if (http.Items.TryGetValue(CacheKey, out var cached) && cached is Caller known)
        {
            return known;
        }

        var certificate = http.Connection.ClientCertificate;
        if (certificate is null && IsInternalListener(http))
        {
            var service = await DaprCallerAsync(http, context).ConfigureAwait(false);
            http.Items[CacheKey] = service;
            return service;
        }

        if (certificate is null)
        {
            throw await RefuseAsync(MeshException.Unauthenticated("CLIENT_CERTIFICATE_REQUIRED", "Call Mesh over TLS with your agency's client certificate."), "", context).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            throw await RefuseAsync(MeshException.Unauthenticated("CLIENT_CERTIFICATE_EXPIRED", $"The client certificate is valid from {certificate.NotBefore:O} to {certificate.NotAfter:O}."), "", context).ConfigureAwait(false);
        }

        var thumbprint = Thumbprint(certificate);
        var resolution = await directory.ResolveAsync(thumbprint, context.CancellationToken).ConfigureAwait(false);
        if (resolution is null)
        {
            throw await RefuseAsync(MeshException.Unauthenticated("CERTIFICATE_NOT_BOUND", $"The client certificate {thumbprint} is not bound to any agency; ask the operator to bind it."), "", context).ConfigureAwait(false);
        }

        if (!resolution.IsClientTls)
        {
            throw await RefuseAsync(MeshException.Unauthenticated("CERTIFICATE_PURPOSE_MISMATCH", "This certificate is bound for document signing, not for client TLS."), resolution.Caller.OrganId, context).ConfigureAwait(false);
        }

        if (!resolution.AgencyActive)
        {
            throw await RefuseAsync(MeshException.Denied("AGENCY_NOT_ACTIVE", $"Agency {resolution.Caller.OrganId} is suspended or retired."), resolution.Caller.OrganId, context).ConfigureAwait(false);
        }

        http.Items[CacheKey] = resolution.Caller;
        return resolution.Caller;
    }

    /// <summary>Returns the caller if it has the admin role, otherwise PERMISSION_DENIED (ADMIN_ROLE_REQUIRED).</summary>
    public async ValueTask<Caller> RequireAdminAsync(ServerCallContext context)
    {
        var caller = await RequireCallerAsync(context).ConfigureAwait(false);
        if (!caller.IsAdmin)
        {
            throw await RefuseAsync(MeshException.Denied("ADMIN_ROLE_REQUIRED", "This call needs the registry administrator role."), caller.OrganId, context).ConfigureAwait(false);
        }

        return caller;
    }

    /// <summary>Returns the caller if it is another Mesh service, otherwise PERMISSION_DENIED (HUB_SERVICE_ONLY).</summary>
    public async ValueTask<Caller> RequireHubServiceAsync(ServerCallContext context)
    {
        var caller = await RequireCallerAsync(context).ConfigureAwait(false);
        if (!caller.IsHubService)
        {
            throw await RefuseAsync(MeshException.Denied("HUB_SERVICE_ONLY", "This call is internal to the hub."), caller.OrganId, context).ConfigureAwait(false);
        }

        return caller;
    }

    /// <summary>Records a refusal decided by a service (e.g. reading another agency's document) and returns the exception to throw.</summary>
    public ValueTask<MeshException> RefuseAsync(MeshException refusal, string actor, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        ArgumentNullException.ThrowIfNull(context);
        return RecordAsync(refusal, actor, context);
    }

    private async ValueTask<MeshException> RecordAsync(MeshException refusal, string actor, ServerCallContext context)
    {
        var type = refusal.Kind == ErrorKind.Unauthenticated ? AuditEventTypes.AuthenticationFailed : AuditEventTypes.AuthorizationFailed;
        var record = new AuditRecord(type, time.GetUtcNow(), actor)
        {
            Outcome = refusal.Reason,
            Detail = context.Method,
            TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? "",
        };

        // Security events must reach the log (DESIGN.md), but a failing log must not turn a
        // refusal into an internal error; the refusal stands either way.
        try
        {
            await audit.RecordAsync(record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (MeshException)
        {
        }

        return refusal;
    }

    // The sidecar reaches the app over h2c: on the internal port, or on the only port when it is plaintext
    // without a TLS-terminating proxy in front (a proxy's callers are agencies and must present certificates).
    private bool IsInternalListener(HttpContext http)
    {
        var options = endpoint.Value;
        if (http.Request.IsHttps || options.Internal.DaprCallerAppIds.Count == 0)
        {
            return false;
        }

        var port = http.Connection.LocalPort;
        return (options.InternalPort > 0 && port == options.InternalPort)
            || (options.Plaintext && string.IsNullOrEmpty(options.ForwardedClientCertificateHeader) && port == options.Port);
    }

    private async ValueTask<Caller> DaprCallerAsync(HttpContext http, ServerCallContext context)
    {
        var presented = http.Request.Headers[DaprApiTokenHeader].ToString();
        if (daprApiToken.Length == 0 || !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(presented), System.Text.Encoding.UTF8.GetBytes(daprApiToken)))
        {
            throw await RefuseAsync(MeshException.Unauthenticated("INTERNAL_CALLER_UNTRUSTED", "A call without a client certificate must come through this pod's Dapr sidecar."), "", context).ConfigureAwait(false);
        }

        var appId = http.Request.Headers[DaprCallerAppIdHeader].ToString();
        if (!endpoint.Value.Internal.DaprCallerAppIds.Contains(appId, StringComparer.Ordinal))
        {
            throw await RefuseAsync(MeshException.Unauthenticated("INTERNAL_CALLER_UNKNOWN", $"Dapr app '{appId}' is not a Mesh service."), "", context).ConfigureAwait(false);
        }

        // Another hub service, nothing more: no agency, no admin.
        return new Caller(appId, new HashSet<CallerRole> { CallerRole.HubService }, "");
    }

    private static string DaprToken(InternalCallerOptions options) =>
        options.DaprApiToken is { Length: > 0 } token ? token : Environment.GetEnvironmentVariable("APP_API_TOKEN") ?? "";

    /// <summary>SHA-256 thumbprint of a certificate, lower-case hex (the registry's key).</summary>
    public static string Thumbprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }
}
