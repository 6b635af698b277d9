package dev.vmsup.supervisor.usage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples a sandbox's processes every {@link #INTERVAL} on a thread of its own and keeps the last {@link #CAPACITY}
 * samples (15 minutes): the history the overhead advisor reads. Never runs on the API's event loop, and a change in
 * progress never delays it; {@link #fresh} takes one more sample now for a reader that wants current figures.
 */
public final class UsageSampler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UsageSampler.class);
    /** Every 5 s: a sample reads /proc (QEMU's smaps among it) for ~3 ms of CPU; at 1 s that was ~1.5% of a core. */
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    public static final int CAPACITY = 180;

    private final ProcReader proc;
    private final Supplier<Subjects> subjects;
    private final ScheduledExecutorService thread;
    private final ArrayDeque<UsageSample> ring = new ArrayDeque<>();

    private UsageSampler(ProcReader proc, Supplier<Subjects> subjects) {
        this.proc = proc;
        this.subjects = subjects;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vmsup-usage");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts sampling what {@code subjects} names at each tick (it is asked anew each time: vCPUs come and go). */
    public static UsageSampler start(Path procRoot, Supplier<Subjects> subjects) {
        UsageSampler s = new UsageSampler(new ProcReader(procRoot), subjects);
        s.thread.scheduleAtFixedRate(s::tick, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return s;
    }

    private void tick() {
        try {
            UsageSample sample = take();
            synchronized (ring) {
                if (ring.size() == CAPACITY) {
                    ring.removeFirst();
                }
                ring.addLast(sample);
            }
        } catch (RuntimeException e) {
            LOG.warn("usage sample failed: {}", e.toString()); // the next tick tries again
        }
    }

    private UsageSample take() {
        return UsageSample.take(proc, subjects.get(), System.nanoTime() / 1_000_000);
    }

    /** The samples of the last {@code window}, oldest first, plus one taken now (on the sampler's thread). */
    public CompletableFuture<List<UsageSample>> window(Duration window) {
        return CompletableFuture.supplyAsync(() -> {
            UsageSample now = take();
            List<UsageSample> out = kept(window, now.atMillis());
            out.add(now);
            return out;
        }, thread);
    }

    /** The samples already kept from the last {@code window}, oldest first, without reading /proc (for gauges). */
    public List<UsageSample> recent(Duration window) {
        return kept(window, System.nanoTime() / 1_000_000);
    }

    private List<UsageSample> kept(Duration window, long nowMillis) {
        List<UsageSample> out = new ArrayList<>();
        synchronized (ring) {
            for (UsageSample s : ring) {
                if (nowMillis - s.atMillis() <= window.toMillis()) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** One sample taken now, on the sampler's thread. */
    public CompletableFuture<UsageSample> fresh() {
        return CompletableFuture.supplyAsync(this::take, thread);
    }

    /** What the samples measure, as the sandbox stands now. */
    public Subjects subjects() {
        return subjects.get();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
