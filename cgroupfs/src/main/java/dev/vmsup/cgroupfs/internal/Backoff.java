package dev.vmsup.cgroupfs.internal;

import java.time.Duration;

/**
 * A bounded retry: at most {@code attempts} tries, waiting {@code firstDelay}, then doubling up to
 * {@code maxDelay}.
 */
public record Backoff(int attempts, Duration firstDelay, Duration maxDelay) {
    /** The transient EINVAL while a task is being created: a few tries ~30 ms apart. */
    public static final Backoff TASK_SETUP = new Backoff(5, Duration.ofMillis(30), Duration.ofMillis(30));
    /** rmdir of a cgroup whose last tasks are still exiting: up to about 2.5 s in all. */
    public static final Backoff RMDIR_BUSY = new Backoff(9, Duration.ofMillis(10), Duration.ofMillis(640));

    public Backoff {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1");
        }
    }

    /** The wait before try number {@code attempt} (1-based; the first try has none). */
    public Duration delayBefore(int attempt) {
        if (attempt <= 1) {
            return Duration.ZERO;
        }
        long ms = firstDelay.toMillis() << Math.min(attempt - 2, 20);
        return Duration.ofMillis(Math.min(ms, maxDelay.toMillis()));
    }

    public static void sleep(Duration d) {
        if (d.isZero()) {
            return;
        }
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while retrying a cgroup operation", e);
        }
    }
}
