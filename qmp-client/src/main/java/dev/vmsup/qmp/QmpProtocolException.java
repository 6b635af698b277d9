package dev.vmsup.qmp;

/** The peer broke the protocol (malformed JSON, an oversized line, a bad greeting); the connection is closed. */
public class QmpProtocolException extends QmpException {
    public QmpProtocolException(String message) {
        super(message);
    }

    public QmpProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
