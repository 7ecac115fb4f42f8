namespace GlobalZone.Storage;
