using System.Text.Json;

namespace Mesh.Audit.Tests;

/// <summary>Reads the shared vectors from ../shared/testdata beside the repository root, never a copy.</summary>
internal static class TestData
{
    public static string MerkleDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
            {
                dir = dir.Parent;
            }

            if (dir?.Parent is null)
            {
                throw new InvalidOperationException("Repository root (Directory.Build.props) not found above the test binaries.");
            }

            return Path.Combine(dir.Parent.FullName, "shared", "testdata", "merkle");
        }
    }

    public static JsonElement Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(MerkleDirectory, file)));
        return doc.RootElement.Clone();
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);
}

/// <summary>RFC 6962 §2.1 MTH, PATH and PROOF written literally, as an independent reference.</summary>
internal static class Rfc6962Reference
{
    public static byte[] Mth(IReadOnlyList<byte[]> leaves, int start, int end)
    {
        var n = end - start;
        if (n == 0)
        {
            return Domain.MerkleHasher.EmptyRoot;
        }

        if (n == 1)
        {
            return leaves[start];
        }

        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return Domain.MerkleHasher.HashChildren(Mth(leaves, start, start + k), Mth(leaves, start + k, end));
    }

    public static List<byte[]> Path(IReadOnlyList<byte[]> leaves, int m, int start, int end)
    {
        var n = end - start;
        if (n == 1)
        {
            return [];
        }

        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        if (m < k)
        {
            var p = Path(leaves, m, start, start + k);
            p.Add(Mth(leaves, start + k, end));
            return p;
        }
        else
        {
            var p = Path(leaves, m - k, start + k, end);
            p.Add(Mth(leaves, start, start + k));
            return p;
        }
    }

    public static List<byte[]> Proof(IReadOnlyList<byte[]> leaves, int m, int n) => m == n ? [] : SubProof(leaves, m, 0, n, true);

    private static List<byte[]> SubProof(IReadOnlyList<byte[]> leaves, int m, int start, int end, bool b)
    {
        var n = end - start;
        if (m == n)
        {
            return b ? [] : [Mth(leaves, start, end)];
        }

        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        if (m <= k)
        {
            var p = SubProof(leaves, m, start, start + k, b);
            p.Add(Mth(leaves, start + k, end));
            return p;
        }
        else
        {
            var p = SubProof(leaves, m - k, start + k, end, false);
            p.Add(Mth(leaves, start, start + k));
            return p;
        }
    }
}
