package dev.vmsup.supervisor.sandbox;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After QEMU missed a QMP deadline the sandbox's view (vCPUs, their threads, free slots) may be stale: QEMU can
 * still carry the command out when it runs again, e.g. add a CPU whose thread then sits outside the vcpu cgroup.
 * The view is read again right away (a short deadline); if QEMU still does not answer, again every second in the
 * background (taking the operations lock only when free) and, at the latest, before the next change acts.
 */
final class Resync {
    private static final Logger LOG = LoggerFactory.getLogger(Resync.class);
    private static final Duration QUICK = Duration.ofSeconds(2);
    private static final int BACKGROUND_TRIES = 300;

    private final ReentrantLock operations;
    /** Reads QEMU's view again (with the given deadline) and places and limits what it finds; under the lock. */
    private final Consumer<Duration> readAgain;
    private final Runnable publish;
    private volatile boolean needed;
    private ScheduledExecutorService background;

    Resync(ReentrantLock operations, Consumer<Duration> readAgain, Runnable publish) {
        this.operations = operations;
        this.readAgain = readAgain;
        this.publish = publish;
    }

    boolean needed() {
        return needed;
    }

    /** Reads the view again now (lock held); fails the change it precedes if QEMU still does not answer. */
    void now(Duration deadline) {
        try {
            readAgain.accept(deadline);
            needed = false;
            LOG.info("QEMU answers again: vCPUs and their threads read again from QEMU and /proc");
        } catch (RuntimeException e) {
            throw new WrongStateException("QEMU has not answered since it missed a deadline, so the sandbox's view "
                    + "of it is unknown (" + e.getMessage() + "); try again once it answers");
        }
    }

    /** QEMU missed a deadline in {@code failure} (lock held): read again quickly, else keep trying in the background. */
    void after(Throwable failure) {
        needed = true;
        try {
            now(QUICK);
        } catch (WrongStateException stillSilent) {
            failure.addSuppressed(stillSilent);
            retryInBackground();
        }
    }

    private synchronized void retryInBackground() {
        if (background != null) {
            return;
        }
        background = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vmsup-resync");
            t.setDaemon(true);
            return t;
        });
        int[] tries = {0};
        background.scheduleWithFixedDelay(() -> {
            if (!needed || ++tries[0] > BACKGROUND_TRIES) {
                stopBackground();
                return;
            }
            if (operations.tryLock()) {
                try {
                    if (needed) {
                        now(QUICK);
                    }
                } catch (WrongStateException stillSilent) {
                    // next second
                } finally {
                    publish.run();
                    operations.unlock();
                }
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    /** The sandbox is ending: no more reading again. */
    void cancel() {
        needed = false;
        stopBackground();
    }

    private synchronized void stopBackground() {
        if (background != null) {
            background.shutdown();
            background = null;
        }
    }
}
