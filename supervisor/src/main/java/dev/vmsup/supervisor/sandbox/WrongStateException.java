package dev.vmsup.supervisor.sandbox;

import dev.vmsup.supervisor.SupervisorException;


























/** The operation does not fit the sandbox's state (e.g. a resize while it stops). */
public class WrongStateException extends SupervisorException {
    public WrongStateException(String message) {
        super(message);
    }
}
