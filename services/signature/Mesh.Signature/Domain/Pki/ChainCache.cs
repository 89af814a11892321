using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Mesh.Signature.Domain.Pki;

/// <summary>A passed chain and the window of signing times and validation times for which the pass holds.</summary>
public sealed record CachedChain(IReadOnlyList<CertificateFacts> Path, IReadOnlyList<string> Warnings, DateTimeOffset ValidFrom, DateTimeOffset ValidTo, DateTimeOffset FreshUntil);

/// <summary>
/// Passed chain results keyed by (leaf SHA-256, purpose) for one trust-material version, so that a
/// warm verification costs one signature check. Any version change drops everything: the version
/// covers anchors, intermediates and CRLs, so a new CRL can never be masked by a stale pass.
/// Only clean passes are stored (no failure, no revocation entry), which keeps the window exact.
/// </summary>
public sealed class ChainCache(int capacity)
{
    private readonly ConcurrentDictionary<(string Thumbprint, KeyPurpose Purpose), CachedChain> _entries = new();
    private readonly Lock _gate = new();
    private long _version = long.MinValue;
    private long _hits;
    private long _misses;
    private long _invalidations;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public long Invalidations => Interlocked.Read(ref _invalidations);

    public int Count => _entries.Count;

    public bool TryGet(string thumbprint, KeyPurpose purpose, long version, DateTimeOffset at, DateTimeOffset now, [NotNullWhen(true)] out CachedChain? chain)
    {
        EnsureVersion(version);
        if (Interlocked.Read(ref _version) == version
            && _entries.TryGetValue((thumbprint, purpose), out chain)
            && at >= chain.ValidFrom && at <= chain.ValidTo && now <= chain.FreshUntil)
        {
            Interlocked.Increment(ref _hits);
            return true;
        }

        Interlocked.Increment(ref _misses);
        chain = null;
        return false;
    }

    public void Add(string thumbprint, KeyPurpose purpose, long version, CachedChain chain, DateTimeOffset now)
    {
        EnsureVersion(version);
        if (Interlocked.Read(ref _version) != version)
        {
            return; // computed against an older version: never store it
        }

        if (_entries.Count >= capacity)
        {
            Evict(now);
        }

        _entries[(thumbprint, purpose)] = chain;
    }

    /// <summary>Drops every entry (the registry reported a change).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            Interlocked.Increment(ref _invalidations);
        }
    }

    private void EnsureVersion(long version)
    {
        if (Interlocked.Read(ref _version) >= version)
        {
            return;
        }

        lock (_gate)
        {
            if (_version < version)
            {
                var first = _version == long.MinValue;
                _entries.Clear();
                Interlocked.Exchange(ref _version, version);
                if (!first)
                {
                    Interlocked.Increment(ref _invalidations);
                }
            }
        }
    }

    private void Evict(DateTimeOffset now)
    {
        lock (_gate)
        {
            foreach (var (key, value) in _entries)
            {
                if (value.FreshUntil < now)
                {
                    _entries.TryRemove(key, out _);
                }
            }

            // Still full: drop an arbitrary half rather than track recency on the hot path.
            if (_entries.Count >= capacity)
            {
                var drop = _entries.Count / 2;
                foreach (var key in _entries.Keys)
                {
                    if (drop-- <= 0)
                    {
                        break;
                    }

                    _entries.TryRemove(key, out _);
                }
            }
        }
    }
}
