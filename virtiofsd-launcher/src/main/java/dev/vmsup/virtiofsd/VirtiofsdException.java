package dev.vmsup.virtiofsd;

/** virtiofsd could not be identified, started or kept running; the message says which and why. */
public class VirtiofsdException extends RuntimeException {
    public VirtiofsdException(String message) {
        super(message);
    }

    public VirtiofsdException(String message, Throwable cause) {
        super(message, cause);
    }
}
