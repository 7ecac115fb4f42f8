namespace GlobalZone.Storage.Integrity;

/// <summary>What an operator does about a refusal; one sentence each, so a refusal stays one log line.</summary>
public static class OperatorRemedy
{
    /// <summary>This member's copy is damaged; the group still holds the data.</summary>
    public const string ReplaceMember =
        "The member refuses to start on damaged data; the rest of the group holds it. Once the others are healthy, remove " +
        "this member's data folder and start it again empty, under the same id and URL, to be caught up (or replace it " +
        "under a new id: gz member remove <id>, then gz member add <url> --id <new-id>; deploy/README.md, 'Replacing a " +
        "failed member'); if every member is damaged, restore a backup (gz backup restore)";

    /// <summary>The folder was written by another release.</summary>
    public const string MoveThroughBackup =
        "Move the data through a backup: with the old release running, take one (gz backup create FILE), then seed every " +
        "member of a new cluster from it (gz backup restore FILE --data-dir DIR --cluster-name NEW) and start them with this release";
}
