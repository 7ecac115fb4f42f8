using System.Diagnostics;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// Decides whether a history is linearizable with respect to a model. Linearizability is compositional, so the
/// history is split by key and each key's sub-history is searched on its own (Wing–Gong–Lowe, see
/// <see cref="SingleKeySearch{TState}"/>); the history is linearizable iff every key is.
/// </summary>
public static class LinearizabilityChecker
{
    /// <summary>Checks <paramref name="history"/> against <paramref name="model"/>, key by key.</summary>
    /// <exception cref="ArgumentException">An operation the model does not support, or a completed operation without a sane completion time.</exception>
    public static CheckResult Check<TState>(IReadOnlyList<Operation> history, Model<TState> model, CheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new CheckOptions();
        var started = Stopwatch.GetTimestamp();
        var deadline = DeadlineAfter(started, options.Timeout);

        var operationsByKey = PartitionByKey(history, model);
        var keys = operationsByKey.Keys.ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        var verdicts = new KeyVerdict[keys.Length];
        Parallel.For(
            0,
            keys.Length,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) },
            i => verdicts[i] = CheckKey(model, keys[i], operationsByKey[keys[i]], deadline, options.CancellationToken));

        return new CheckResult(CheckResult.Combine(verdicts), verdicts, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Checks with a wall-clock budget; the verdict is <see cref="Verdict.Unknown"/> if it runs out.</summary>
    public static CheckResult Check<TState>(IReadOnlyList<Operation> history, Model<TState> model, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Check(history, model, new CheckOptions { Timeout = timeout, CancellationToken = cancellationToken });

    // In Stopwatch ticks; a budget too large to represent means no deadline.
    private static long DeadlineAfter(long started, TimeSpan? timeout)
    {
        if (timeout is not { } budget)
        {
            return long.MaxValue;
        }
        var ticks = budget.TotalSeconds * Stopwatch.Frequency;
        return ticks >= long.MaxValue - started ? long.MaxValue : started + (long)Math.Max(0, ticks);
    }

    private static KeyVerdict CheckKey<TState>(Model<TState> model, string key, List<Operation> operations, long deadline, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new KeyVerdict(key, Verdict.Unknown, operations.Count, 0, TimeSpan.Zero, null);
        }
        return new SingleKeySearch<TState>(model, key, operations, deadline, cancellationToken).Run();
    }

    // Groups the operations the search must place by key, validating each; the others carry no information.
    private static Dictionary<string, List<Operation>> PartitionByKey<TState>(IReadOnlyList<Operation> history, Model<TState> model)
    {
        var byKey = new Dictionary<string, List<Operation>>(StringComparer.Ordinal);
        foreach (var operation in history)
        {
            Validate(operation, model);
            if (!byKey.TryGetValue(operation.Key, out var operations))
            {
                operations = [];
                byKey.Add(operation.Key, operations);
            }
            if (model.MustBeLinearized(operation))
            {
                operations.Add(operation);
            }
        }
        return byKey;
    }

    private static void Validate<TState>(Operation operation, Model<TState> model)
    {
        if (!model.Supports(operation.Kind))
        {
            throw new ArgumentException($"The model {model.GetType().Name} does not support {operation.Kind}: {operation}", nameof(model));
        }
        if (operation.IsIndeterminate)
        {
            return;
        }
        if (operation.CompleteTime is not { } completed)
        {
            throw new ArgumentException($"A {operation.Status} operation needs a completion time: {operation}", nameof(operation));
        }
        if (completed < operation.InvokeTime)
        {
            throw new ArgumentException($"Operation completes before it is invoked: {operation}", nameof(operation));
        }
    }
}
