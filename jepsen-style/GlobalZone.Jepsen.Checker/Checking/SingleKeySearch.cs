using System.Diagnostics;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// The Wing–Gong search with Lowe's memoisation (as in the porcupine checker) over one key's operations.
/// It walks the time-ordered event list: at a call it tries to linearize that operation now (the model must accept
/// it and the resulting configuration must be new), then restarts from the first remaining event; at a return it is
/// stuck, because that operation completed without being linearized, so it undoes the last choice and tries the
/// next candidate after it. The history is linearizable once every event has been lifted.
/// </summary>
internal sealed class SingleKeySearch<TState>
{
    // How many steps run between two looks at the clock and the cancellation token.
    private const int StepsBetweenDeadlineChecks = 1024;

    private readonly Model<TState> model;
    private readonly string key;
    private readonly IReadOnlyList<Operation> operations;
    private readonly long deadlineTimestamp;
    private readonly CancellationToken cancellationToken;

    // The deepest point the search reached, kept to explain a failure.
    private int deepestDepth = -1;
    private int[] deepestPrefix = [];
    private int[] deepestCandidates = [];
    private TState? deepestState;

    public SingleKeySearch(Model<TState> model, string key, IReadOnlyList<Operation> operations, long deadlineTimestamp, CancellationToken cancellationToken)
    {
        this.model = model;
        this.key = key;
        this.operations = operations;
        this.deadlineTimestamp = deadlineTimestamp;
        this.cancellationToken = cancellationToken;
    }

    public KeyVerdict Run()
    {
        var started = Stopwatch.GetTimestamp();
        var events = new EventList(operations);
        var linearized = new LinearizedSet(operations.Count);
        var visited = new VisitedConfigurations<TState>(model, linearized.Words.Length);

        // The backtracking stack: the call node linearized at each depth and the state before it.
        var stackCalls = new int[operations.Count];
        var stackStates = new TState[operations.Count];
        var depth = 0;

        var state = model.InitialState;
        var node = events.First;
        var stepsUntilDeadlineCheck = StepsBetweenDeadlineChecks;
        while (!events.IsEmpty)
        {
            if (--stepsUntilDeadlineCheck == 0)
            {
                stepsUntilDeadlineCheck = StepsBetweenDeadlineChecks;
                if (IsOutOfTime())
                {
                    return Conclude(Verdict.Unknown, visited, started, null);
                }
            }

            if (events.IsCall(node))
            {
                var operation = events.OperationOf(node);
                if (model.Step(state, operations[operation], out var nextState))
                {
                    linearized.Add(operation);
                    if (visited.Add(linearized, nextState))
                    {
                        stackCalls[depth] = node;
                        stackStates[depth] = state;
                        depth++;
                        state = nextState;
                        events.Lift(node);
                        node = events.First;
                        continue;
                    }
                    linearized.Remove(operation);
                }
                node = events.Next(node);
                continue;
            }

            // A return: its operation had to be linearized by now. Remember how far we got, then backtrack.
            if (depth > deepestDepth)
            {
                RememberDeepestPoint(events, stackCalls, depth, state);
            }
            if (depth == 0)
            {
                return Conclude(Verdict.NotLinearizable, visited, started, BuildCounterexample());
            }
            depth--;
            var undone = stackCalls[depth];
            state = stackStates[depth];
            stackStates[depth] = default!;
            linearized.Remove(events.OperationOf(undone));
            events.Unlift(undone);
            node = events.Next(undone);
        }
        return Conclude(Verdict.Linearizable, visited, started, null);
    }

    private bool IsOutOfTime() =>
        cancellationToken.IsCancellationRequested || Stopwatch.GetTimestamp() > deadlineTimestamp;

    // At the deepest point every candidate fails the model step: had one succeeded with a new configuration, the
    // search would have gone deeper, and a memo hit means that configuration was already entered at the same depth.
    private void RememberDeepestPoint(EventList events, int[] stackCalls, int depth, TState state)
    {
        deepestDepth = depth;
        deepestState = state;
        deepestPrefix = new int[depth];
        for (var i = 0; i < depth; i++)
        {
            deepestPrefix[i] = events.OperationOf(stackCalls[i]);
        }
        var candidates = new List<int>();
        for (var node = events.First; events.IsCall(node); node = events.Next(node))
        {
            candidates.Add(events.OperationOf(node));
        }
        deepestCandidates = candidates.ToArray();
    }

    private Counterexample BuildCounterexample()
    {
        var prefix = new Operation[deepestPrefix.Length];
        for (var i = 0; i < prefix.Length; i++)
        {
            prefix[i] = operations[deepestPrefix[i]];
        }
        var candidates = new Operation[deepestCandidates.Length];
        for (var i = 0; i < candidates.Length; i++)
        {
            candidates[i] = operations[deepestCandidates[i]];
        }
        return new Counterexample(key, prefix, model.DescribeState(deepestState!), candidates);
    }

    private KeyVerdict Conclude(Verdict verdict, VisitedConfigurations<TState> visited, long started, Counterexample? counterexample) =>
        new(key, verdict, operations.Count, visited.Count, Stopwatch.GetElapsedTime(started), counterexample);
}
