using System.Security.Cryptography;

namespace Mesh.Audit.Domain;

/// <summary>
/// Client-side proof checks, exactly the RFC 9162 algorithms. An inclusion proof does not pin
/// the tree size by itself: the size and root must come from a verified signed checkpoint.
/// </summary>
public static class MerkleVerifier
{
    /// <summary>RFC 9162 §2.1.3.2: verifying an inclusion proof.</summary>
    public static bool VerifyInclusion(long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> rootHash)
    {
        if (leafIndex < 0 || treeSize <= 0 || leafIndex >= treeSize || !IsHash(leafHash) || !IsHash(rootHash))
        {
            return false;
        }

        var fn = leafIndex;
        var sn = treeSize - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0 || !IsHash(p))
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHasher.HashChildren(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = MerkleHasher.HashChildren(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, rootHash);
    }

    /// <summary>
    /// RFC 9162 §2.1.4.2: verifying a consistency proof. Equal sizes need an empty proof and equal
    /// roots. An old size of 0 is refused, as transparency-dev/merkle does since its #236: the
    /// empty tree proves nothing, and accepting it invites skipped checks.
    /// </summary>
    public static bool VerifyConsistency(long size1, long size2, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2, IReadOnlyList<byte[]> proof)
    {
        if (size1 <= 0 || size2 < size1 || !IsHash(root1) || !IsHash(root2))
        {
            return false;
        }

        if (size1 == size2)
        {
            return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(root1, root2);
        }

        if (proof.Count == 0)
        {
            return false;
        }

        foreach (var p in proof)
        {
            if (!IsHash(p))
            {
                return false;
            }
        }

        var path = new List<byte[]>(proof.Count + 1);
        if ((size1 & (size1 - 1)) == 0)
        {
            path.Add(root1.ToArray());
        }

        path.AddRange(proof);

        var fn = size1 - 1;
        var sn = size2 - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHasher.HashChildren(c, fr);
                sr = MerkleHasher.HashChildren(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = MerkleHasher.HashChildren(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0
            && CryptographicOperations.FixedTimeEquals(fr, root1)
            && CryptographicOperations.FixedTimeEquals(sr, root2);
    }

    private static bool IsHash(ReadOnlySpan<byte> hash) => hash.Length == MerkleHasher.HashSize;
}
