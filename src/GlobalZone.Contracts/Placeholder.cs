namespace GlobalZone.Contracts;
