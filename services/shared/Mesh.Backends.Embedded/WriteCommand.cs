namespace Mesh.Backends.Embedded;

/// <summary>One caller's write, applied by the writer loop inside its own SAVEPOINT of a group commit.</summary>
internal abstract class WriteCommand(int estimatedBytes, CancellationToken cancellationToken)
{
    public int EstimatedBytes { get; } = estimatedBytes;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Runs on the writer thread inside the savepoint; throwing rolls back this command only.</summary>
    public abstract void Execute(WriteContext context);

    /// <summary>Called once the group commit is durable.</summary>
    public abstract void Complete();

    public abstract void Fail(Exception exception);

    public abstract void Cancel();
}

internal sealed class WriteCommand<T>(Func<WriteContext, T> apply, int estimatedBytes, CancellationToken cancellationToken)
    : WriteCommand(estimatedBytes, cancellationToken)
{
    // Continuations must not run on the writer thread, or one slow caller would stall every commit.
    private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? result;

    public Task<T> Task => completion.Task;

    public override void Execute(WriteContext context) => result = apply(context);

    public override void Complete() => completion.TrySetResult(result!);

    public override void Fail(Exception exception) => completion.TrySetException(exception);

    public override void Cancel() => completion.TrySetCanceled(CancellationToken);
}
