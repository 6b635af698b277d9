package dev.vmsup.qmp;

/** The connection ended (QEMU exited, the socket closed, or a protocol error closed it); no reply will come. */
public class QmpDisconnectedException extends QmpException {
    public QmpDisconnectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
