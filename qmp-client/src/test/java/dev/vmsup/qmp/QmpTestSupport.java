package dev.vmsup.qmp;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;

import org.junit.jupiter.api.Assumptions;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/** Shared bits of the QMP tests: a JDK-transport Vert.x, blocking waits, prerequisite checks. */
final class QmpTestSupport {
    static final Duration WAIT = Duration.ofSeconds(10);

    private QmpTestSupport() {
    }

    static Vertx vertx() {
        return Vertx.vertx(new VertxOptions().setPreferNativeTransport(false).setEventLoopPoolSize(1)
                .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    }

    static <T> T await(Future<T> f) {
        try {
            return f.await(WAIT);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("future not complete within " + WAIT, e);
        }
    }

    /** Waits for {@code f} to fail and returns the failure. */
    static Throwable failure(Future<?> f) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!f.isComplete() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        if (!f.isComplete()) {
            throw new AssertionError("future not complete within " + WAIT);
        }
        if (f.succeeded()) {
            throw new AssertionError("expected a failure but got " + f.result());
        }
        return f.cause();
    }

    /** Outside CI a missing prerequisite skips with its reason; with CI=true it fails the run. */
    static void require(boolean present, String what) {
        if (present) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("prerequisite missing on this CI machine: " + what);
        }
        Assumptions.abort("prerequisite missing: " + what);
    }
}
