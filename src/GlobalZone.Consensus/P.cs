namespace GlobalZone.Consensus;
