namespace GlobalZone.Storage.Integrity;

/// <summary>What an operator does about a refusal; one sentence each, so a refusal stays one log line.</summary>
public static class OperatorRemedy
{
    /// <summary>This member's copy is damaged; the group still holds the data.</summary>
    public const string ReplaceMember =
        "The member refuses to start on damaged data. Remove this member's data folder and bring it back empty as a " +
        "replacement (gz member remove <id>, start it with GlobalZone:Join=true, gz member add <url> --id <id>: " +
        "deploy/README.md, 'Replacing a failed member'), or, if the whole group is damaged, restore a backup (gz backup restore)";

    /// <summary>The folder was written by another release.</summary>
    public const string MoveThroughBackup =
        "Move the data through a backup: with the old release running, take one (gz backup create FILE), then seed every " +
        "member of a new cluster from it (gz backup restore FILE --data-dir DIR --cluster-name NEW) and start them with this release";
}
