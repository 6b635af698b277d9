package dev.vmsup.qmp;

import java.time.Duration;

/**
 * Client settings.
 *
 * @param maxLineBytes   longest message line accepted; a longer one is a protocol error and closes the connection
 * @param commandTimeout default time a command waits for its reply
 * @param requestOob     ask for out-of-band execution when QEMU offers it
 * @param connectFirstBackoff first wait between connect attempts (doubling)
 * @param connectMaxBackoff   longest wait between connect attempts
 * @param connectDeadline     overall time allowed for {@link QmpClient#connectWithRetry}
 */
public record QmpOptions(int maxLineBytes, Duration commandTimeout, boolean requestOob, Duration connectFirstBackoff,
        Duration connectMaxBackoff, Duration connectDeadline) {
    public static final QmpOptions DEFAULTS = new QmpOptions(4 << 20, Duration.ofSeconds(10), false,
            Duration.ofMillis(2), Duration.ofMillis(10), Duration.ofSeconds(10));

    public QmpOptions {
        if (maxLineBytes < 64) {
            throw new IllegalArgumentException("maxLineBytes must be at least 64");
        }
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("commandTimeout must be positive");
        }
    }

    public QmpOptions withMaxLineBytes(int value) {
        return new QmpOptions(value, commandTimeout, requestOob, connectFirstBackoff, connectMaxBackoff, connectDeadline);
    }

    public QmpOptions withCommandTimeout(Duration value) {
        return new QmpOptions(maxLineBytes, value, requestOob, connectFirstBackoff, connectMaxBackoff, connectDeadline);
    }

    public QmpOptions withRequestOob(boolean value) {
        return new QmpOptions(maxLineBytes, commandTimeout, value, connectFirstBackoff, connectMaxBackoff, connectDeadline);
    }

    public QmpOptions withConnectDeadline(Duration value) {
        return new QmpOptions(maxLineBytes, commandTimeout, requestOob, connectFirstBackoff, connectMaxBackoff, value);
    }
}
