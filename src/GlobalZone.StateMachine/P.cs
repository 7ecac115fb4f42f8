namespace GlobalZone.StateMachine;
