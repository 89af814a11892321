namespace Mesh.Signature.Tests.Support;

/// <summary>Shared fixtures live beside the repository (../shared), never copied into it.</summary>
internal static class RepoPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Wycheproof => Path.Combine(Shared, "testdata", "wycheproof");

    public static string EdXml => Path.Combine(Shared, "standards", "edxml");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mesh.sln")) || File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (Mesh.sln or Directory.Build.props) not found above " + AppContext.BaseDirectory);
    }
}
