package dev.vmsup.supervisor;

/** The sandbox cannot start or go on; the message says which step failed and why. */
public class SupervisorException extends RuntimeException {
    public SupervisorException(String message) {
        super(message);
    }

    public SupervisorException(String message, Throwable cause) {
        super(message + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
    }
}
