package dev.vmsup.qmp;

/** Base of every failure the QMP client reports; the subclasses are the taxonomy callers match on. */
public class QmpException extends RuntimeException {
    public QmpException(String message) {
        super(message);
    }

    public QmpException(String message, Throwable cause) {
        super(message, cause);
    }
}
