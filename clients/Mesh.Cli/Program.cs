using Mesh.Cli;

return await MeshCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
