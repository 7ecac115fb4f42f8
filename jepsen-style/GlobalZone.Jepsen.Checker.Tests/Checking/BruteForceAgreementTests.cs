namespace GlobalZone.Jepsen.Checker.Tests.Checking;

/// <summary>
/// Cross-checks the search against the definition on many small random register histories: a history is
/// linearizable iff some order of its operations respects real time (a before b when a returned before b was
/// invoked; indeterminate calls never return) and is accepted by the model step by step.
/// </summary>
public sealed class BruteForceAgreementTests
{
    private static readonly string?[] Values = [null, "1", "2"];

    [Fact]
    public void SearchAgreesWithExhaustiveEnumeration()
    {
        var random = new Random(20240611);
        var model = new RegisterModel();
        var linearizableSeen = 0;
        for (var round = 0; round < 2000; round++)
        {
            var history = RandomHistory(random, operationCount: random.Next(1, 7));
            var expected = IsLinearizableByEnumeration(history.Where(model.MustBeLinearized).ToList(), model);

            var actual = LinearizabilityChecker.Check(history, model).Verdict;

            Assert.True(
                (expected ? Verdict.Linearizable : Verdict.NotLinearizable) == actual,
                $"round {round}: expected linearizable={expected}, got {actual} for\n{string.Join('\n', history)}");
            linearizableSeen += expected ? 1 : 0;
        }
        // Guard against a generator that only produces one kind of history.
        Assert.InRange(linearizableSeen, 200, 1800);
    }

    private static List<Operation> RandomHistory(Random random, int operationCount)
    {
        var operations = new List<Operation>();
        for (var i = 0; i < operationCount; i++)
        {
            var invoke = random.Next(0, 20);
            var complete = invoke + random.Next(0, 8);
            var kind = (OperationKind)random.Next(0, 3);
            var status = random.Next(0, 10) switch
            {
                < 6 => OperationStatus.Ok,
                < 8 => OperationStatus.Fail,
                _ => OperationStatus.Info,
            };
            var hasCompletion = status != OperationStatus.Info || random.Next(0, 2) == 0;
            operations.Add(new Operation
            {
                Process = i,
                Kind = kind,
                Input = kind == OperationKind.Read ? null : Values[random.Next(1, Values.Length)],
                Expected = kind == OperationKind.CompareAndSet ? Values[random.Next(0, Values.Length)] : null,
                Output = kind == OperationKind.Read && status == OperationStatus.Ok ? Values[random.Next(0, Values.Length)] : null,
                Status = status,
                InvokeTime = invoke,
                InvokeIndex = i,
                CompleteTime = hasCompletion ? complete : null,
                CompleteIndex = hasCompletion ? i : null,
            });
        }
        return operations;
    }

    private static bool IsLinearizableByEnumeration(List<Operation> operations, RegisterModel model) =>
        Extend(operations, new bool[operations.Count], 0, model.InitialState, model);

    private static bool Extend(List<Operation> operations, bool[] placed, int placedCount, string? state, RegisterModel model)
    {
        if (placedCount == operations.Count)
        {
            return true;
        }
        for (var candidate = 0; candidate < operations.Count; candidate++)
        {
            if (placed[candidate] || MustWaitForAnother(operations, placed, candidate)
                || !model.Step(state, operations[candidate], out var next))
            {
                continue;
            }
            placed[candidate] = true;
            var found = Extend(operations, placed, placedCount + 1, next, model);
            placed[candidate] = false;
            if (found)
            {
                return true;
            }
        }
        return false;
    }

    // A candidate cannot come next while an unplaced operation returned before the candidate was invoked.
    private static bool MustWaitForAnother(List<Operation> operations, bool[] placed, int candidate)
    {
        for (var other = 0; other < operations.Count; other++)
        {
            if (other != candidate && !placed[other] && ReturnTime(operations[other]) < operations[candidate].InvokeTime)
            {
                return true;
            }
        }
        return false;
    }

    private static long ReturnTime(Operation operation) =>
        operation.IsIndeterminate ? long.MaxValue : operation.CompleteTime!.Value;
}
