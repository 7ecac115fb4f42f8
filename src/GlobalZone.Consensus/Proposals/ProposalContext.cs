using GlobalZone.StateMachine;

namespace GlobalZone.Consensus;

/// <summary>
/// Travels with a log entry on the leader (DotNext's entry context) so that the applier can hand the command's
/// result back to the request that proposed it.
/// </summary>
internal sealed class ProposalContext
{
    public CommandResult? Result { get; set; }

    /// <summary>The log index the command was applied at.</summary>
    public long Index { get; set; }
}
