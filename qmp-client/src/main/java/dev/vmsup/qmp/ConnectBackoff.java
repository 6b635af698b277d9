package dev.vmsup.qmp;

import java.time.Duration;

import io.github.resilience4j.core.IntervalFunction;

/**
 * The wait before each connect attempt: the first wait, doubled per attempt, never more than the longest. Plain
 * arithmetic: Resilience4j's own exponential backoff walks a {@code LongStream} at every attempt, whose first use
 * (stream classes, lambdas, method-handle forms) fell on a start's critical path while QEMU made its socket.
 */
final class ConnectBackoff implements IntervalFunction {
    private final long firstMillis;
    private final long maxMillis;

    ConnectBackoff(Duration first, Duration max) {
        this.firstMillis = first.toMillis();
        this.maxMillis = max.toMillis();
        if (firstMillis < 1 || maxMillis < firstMillis) {
            throw new IllegalArgumentException("the first connect wait must be at least 1 ms and not above the "
                    + "longest, got " + first.toMillis() + " ms and " + max.toMillis() + " ms");
        }
    }

    /** The wait in milliseconds after attempt {@code numOfAttempts} (1 = the first) failed. */
    @Override
    public Long apply(Integer numOfAttempts) {
        if (numOfAttempts == null || numOfAttempts < 1) {
            throw new IllegalArgumentException("attempts are counted from 1, got " + numOfAttempts);
        }
        long wait = firstMillis;
        for (int i = 1; i < numOfAttempts && wait < maxMillis; i++) {
            wait = wait > maxMillis / 2 ? maxMillis : wait * 2;
        }
        return Math.min(wait, maxMillis);
    }
}
