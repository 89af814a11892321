namespace Mesh.State;

/// <summary>
/// Registered by a backend whose state only this process can write (the embedded backend: one
/// process per data directory, held by a lock file). A service whose local writes already notify
/// this process's waiters may then leave out the notifications it sends through the event bus
/// for other processes: with this backend there are none.
/// </summary>
public sealed class SingleProcessBackend
{
    /// <summary>Whether <paramref name="services"/> has a single-process backend registered (so far).</summary>
    public static bool IsRegistered(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
        services.Any(d => d.ServiceType == typeof(SingleProcessBackend));
}
