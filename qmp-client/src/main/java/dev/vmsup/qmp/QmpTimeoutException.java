package dev.vmsup.qmp;

import java.time.Duration;

/** No reply (or awaited event) within the time given; the connection stays usable. */
public class QmpTimeoutException extends QmpException {
    public QmpTimeoutException(String what, Duration timeout) {
        super(what + " got no answer within " + timeout.toMillis() + " ms");
    }
}
