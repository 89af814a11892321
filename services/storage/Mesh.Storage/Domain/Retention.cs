using Mesh.Errors;

namespace Mesh.Storage.Domain;

/// <summary>
/// Retention: a blob is kept at least until its retain-until time. Archival schedules for
/// government documents run from years to permanent, and one blob may back several documents
/// (deduplication), so a retention can only ever be extended: shortening it for one document
/// would shorten it for all the others that share the content.
/// </summary>
public static class Retention
{
    /// <summary>The retention of a newly stored blob: the requested time, or now plus the default.</summary>
    public static DateTimeOffset Initial(DateTimeOffset now, TimeSpan defaultRetention, DateTimeOffset? requested)
    {
        if (requested is { } until && until <= now)
        {
            throw MeshException.Invalid(StorageReasons.RetainUntilInvalid, "retain_until", "must be in the future");
        }

        return requested ?? now + defaultRetention;
    }

    /// <summary>Extend-only: the later of the current and the requested time.</summary>
    public static DateTimeOffset Extend(DateTimeOffset current, DateTimeOffset requested) => requested > current ? requested : current;
}
