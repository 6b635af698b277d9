package dev.vmsup.supervisor;

/** The operation does not fit the sandbox's state (e.g. a resize while it stops). */
public class WrongStateException extends SupervisorException {
    public WrongStateException(String message) {
        super(message);
    }
}
