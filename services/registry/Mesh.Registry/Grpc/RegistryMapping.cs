using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Errors;
using Mesh.Identity;
using Mesh.Registry.Domain;
using Common = Mesh.Contracts.Common.V1;
using Proto = Mesh.Contracts.Registry.V1;

namespace Mesh.Registry.Grpc;

/// <summary>Proto ↔ domain mapping of the registry.</summary>
internal static class RegistryMapping
{
    public static Proto.Agency ToProto(this Versioned<Agency> versioned)
    {
        var a = versioned.Value;
        return new Proto.Agency
        {
            Name = "agencies/" + a.OrganId,
            OrganId = a.OrganId,
            ParentOrganId = a.ParentOrganId ?? "",
            DisplayName = a.DisplayName,
            ShortName = a.ShortName,
            Contacts = new Proto.Contacts
            {
                OrganizationInCharge = a.Contacts.OrganizationInCharge,
                Address = a.Contacts.Address,
                Email = a.Contacts.Email,
                Telephone = a.Contacts.Telephone,
                Fax = a.Contacts.Fax,
                Website = a.Contacts.Website,
            },
            State = ToProto(a.State),
            StateReason = a.StateReason,
            Etag = versioned.ETag,
            CreateTime = Timestamp.FromDateTimeOffset(a.CreateTime),
            UpdateTime = Timestamp.FromDateTimeOffset(a.UpdateTime),
            Level = a.Level,
        };
    }

    public static AgencyDraft ToDraft(this Proto.Agency? agency)
    {
        if (agency is null)
        {
            throw MeshException.Invalid("AGENCY_REQUIRED", "agency", "is required");
        }

        var c = agency.Contacts ?? new Proto.Contacts();
        return new AgencyDraft(
            agency.OrganId,
            string.IsNullOrEmpty(agency.ParentOrganId) ? null : agency.ParentOrganId,
            agency.DisplayName,
            agency.ShortName,
            new Contacts(c.OrganizationInCharge, c.Address, c.Email, c.Telephone, c.Fax, c.Website));
    }

    public static Common.LifecycleState ToProto(AgencyState state) => state switch
    {
        AgencyState.Active => Common.LifecycleState.Active,
        AgencyState.Suspended => Common.LifecycleState.Suspended,
        AgencyState.Retired => Common.LifecycleState.Retired,
        _ => Common.LifecycleState.Unspecified,
    };

    public static AgencyState? ToDomain(Common.LifecycleState state, string field, bool allowUnspecified) => state switch
    {
        Common.LifecycleState.Active => AgencyState.Active,
        Common.LifecycleState.Suspended => AgencyState.Suspended,
        Common.LifecycleState.Retired => AgencyState.Retired,
        Common.LifecycleState.Unspecified when allowUnspecified => null,
        _ => throw MeshException.Invalid("STATE_INVALID", field, "must be ACTIVE, SUSPENDED or RETIRED"),
    };

    public static CertificatePurpose ToDomain(Proto.CertificatePurpose purpose) => purpose switch
    {
        Proto.CertificatePurpose.ClientTls => CertificatePurpose.ClientTls,
        Proto.CertificatePurpose.DocumentSigning => CertificatePurpose.DocumentSigning,
        _ => throw MeshException.Invalid("PURPOSE_INVALID", "purpose", "must be CLIENT_TLS or DOCUMENT_SIGNING"),
    };

    public static Proto.CertificatePurpose ToProto(CertificatePurpose purpose) =>
        purpose == CertificatePurpose.ClientTls ? Proto.CertificatePurpose.ClientTls : Proto.CertificatePurpose.DocumentSigning;

    public static CallerRole ToDomain(Proto.Role role) => role switch
    {
        Proto.Role.Agency => CallerRole.Agency,
        Proto.Role.Admin => CallerRole.Admin,
        Proto.Role.HubService => CallerRole.HubService,
        _ => throw MeshException.Invalid("ROLE_INVALID", "roles", "must be AGENCY, ADMIN or HUB_SERVICE"),
    };

    public static Proto.Role ToProto(CallerRole role) => role switch
    {
        CallerRole.Agency => Proto.Role.Agency,
        CallerRole.Admin => Proto.Role.Admin,
        CallerRole.HubService => Proto.Role.HubService,
        _ => Proto.Role.Unspecified,
    };

    public static Proto.CertificateBinding ToProto(this CertificateBinding b)
    {
        var proto = new Proto.CertificateBinding
        {
            Name = $"agencies/{b.OrganId}/certificates/{b.Thumbprint}",
            OrganId = b.OrganId,
            Thumbprint = b.Thumbprint,
            Purpose = ToProto(b.Purpose),
            CertificateDer = ByteString.CopyFrom(b.CertificateDer),
            Subject = b.Subject,
            NotBefore = Timestamp.FromDateTimeOffset(b.NotBefore),
            NotAfter = Timestamp.FromDateTimeOffset(b.NotAfter),
            CreateTime = Timestamp.FromDateTimeOffset(b.CreateTime),
        };
        proto.Roles.AddRange(b.Roles.Select(ToProto));
        return proto;
    }

    public static Proto.TrustAnchor ToProto(this TrustAnchor t) => new()
    {
        Name = "trustAnchors/" + t.Thumbprint,
        Thumbprint = t.Thumbprint,
        Kind = t.Kind == TrustAnchorKind.Root ? Proto.TrustAnchorKind.Root : Proto.TrustAnchorKind.Intermediate,
        CertificateDer = ByteString.CopyFrom(t.CertificateDer),
        Subject = t.Subject,
        Label = t.Label,
    };

    public static Proto.Crl ToProto(this CrlRecord c)
    {
        var proto = new Proto.Crl
        {
            IssuerThumbprint = c.IssuerThumbprint,
            CrlDer = ByteString.CopyFrom(c.CrlDer),
            CrlNumber = c.CrlNumber,
            ThisUpdate = Timestamp.FromDateTimeOffset(c.ThisUpdate),
        };
        if (c.NextUpdate is { } next)
        {
            proto.NextUpdate = Timestamp.FromDateTimeOffset(next);
        }

        return proto;
    }

    public static Proto.WatchChangesResponse ToProto(this RegistryChange c) => new()
    {
        Cursor = c.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Kind = c.Kind switch
        {
            ChangeKind.Agency => Proto.ChangeKind.Agency,
            ChangeKind.CertificateBinding => Proto.ChangeKind.CertificateBinding,
            _ => Proto.ChangeKind.TrustMaterial,
        },
        Subject = c.Subject,
        ChangeTime = Timestamp.FromDateTimeOffset(c.Time),
        TrustVersion = c.TrustVersion,
    };
}
