package dev.vmsup.supervisor.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

import dev.vmsup.cgroupfs.CgroupStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.vmsup.supervisor.SupervisorEvents;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.usage.OverheadReport;
import dev.vmsup.supervisor.usage.ProcessMemory;
import dev.vmsup.supervisor.usage.UsageSample;
import dev.vmsup.supervisor.usage.UsageSampler;

/**
 * The sandbox's metrics, scraped by {@code GET /metrics}. Micrometer and its Prometheus registry are loaded at the first
 * scrape, not at start: until then the sandbox's events wait here (at most {@value #MOST_WAITING}; one more makes the
 * registry), then go to the registry in the order they came. Counts and sums are exact; a percentile's time window
 * starts when the registry is made.
 */
public final class Metrics implements SupervisorEvents {
    static final int MOST_WAITING = 1000;
    /**
     * Bucket bounds of the resize histogram: a resize takes 10-50 ms on a quiet host, seconds when QEMU is slow. A
     * few chosen bounds instead of Micrometer's 69 per series: each bucket is a series a Prometheus stores per pod,
     * and a scrape of them all cost a supervisor ~1 MiB (docs/performance.md).
     */
    private static final Duration[] RESIZE_BUCKETS = millis(5, 10, 20, 50, 100, 250, 1000, 5000, 30000);
    /** Bucket bounds of a QMP command's round trip: well under a millisecond for a query, milliseconds for device_add. */
    private static final Duration[] QMP_BUCKETS = millis(0.25, 0.5, 1, 2, 5, 10, 25, 100, 1000, 10000);

    private final Sandbox sandbox;
    private final List<Consumer<Meters>> waiting = new ArrayList<>();
    private volatile Meters meters;

    private Metrics(Sandbox sandbox) {
        this.sandbox = sandbox;
    }

    private static Duration[] millis(double... bounds) {
        Duration[] d = new Duration[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            d[i] = Duration.ofNanos(Math.round(bounds[i] * 1_000_000));
        }
        return d;
    }

    /** Metrics of {@code s}, installed as the sandbox's events (its resizes, QMP round trips, placements). */
    public static Metrics attachTo(Sandbox s) {
        Metrics m = new Metrics(s);
        s.events(m);
        return m;
    }

    @Override
    public void resized(Duration took, boolean succeeded) {
        deliver(m -> m.resized(took, succeeded));
    }

    @Override
    public void qmpRoundTrip(String command, Duration took) {
        deliver(m -> m.qmpRoundTrip(command, took));
    }

    @Override
    public void vcpuPlaced(Duration unconstrained, Duration placed) {
        deliver(m -> m.vcpuPlaced(unconstrained, placed));
    }

    @Override
    public void placementFailed() {
        deliver(Meters::placementFailed);
    }

    @Override
    public void kernelThreadUnplaced() {
        deliver(Meters::kernelThreadUnplaced);
    }

    /** The registry's text; the first call makes it (outside any lock the sandbox's events take once it exists). */
    String scrape() {
        return meters().scrape();
    }

    /** Whether Micrometer has been loaded yet (for tests). */
    boolean loaded() {
        return meters != null;
    }

    private void deliver(Consumer<Meters> event) {
        Meters m = meters;
        if (m != null) {
            event.accept(m);
            return;
        }
        synchronized (this) {
            if (meters == null) {
                waiting.add(event);
                if (waiting.size() <= MOST_WAITING) {
                    return;
                }
                meters();
            } else {
                event.accept(meters);
            }
        }
    }

    private synchronized Meters meters() {
        if (meters == null) {
            Meters m = new Meters(sandbox);
            waiting.forEach(e -> e.accept(m));
            waiting.clear();
            meters = m;
        }
        return meters;
    }

    /** The meters themselves, in a Micrometer Prometheus registry. */
        private static final class Meters {
        private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        private final Counter placementFailures;
        private final Counter kernelThreadsUnplaced;
        private final Timer resizeOk;
        private final Timer resizeFailed;
        private final Timer unconstrained;
        private final Timer placement;

        /** Gauges read {@code s}: its snapshot and its cgroups' usage. */
        private Meters(Sandbox s) {
            Gauge.builder("vmsup_vcpus", s, x -> x.snapshot().vcpus().size()).description("vCPUs present")
                    .register(registry);
            Gauge.builder("vmsup_vcpus_max", s, x -> x.snapshot().maxVcpus()).register(registry);
            placementFailures = Counter.builder("vmsup_placement_failures")
                    .description("vCPU threads that could not be placed").register(registry);
            kernelThreadsUnplaced = Counter.builder("vmsup_kernel_thread_placement_failures")
                    .description("KVM kernel threads (kvm-pit) the kernel refused to move into the sandbox's cgroups")
                    .register(registry);
            resizeOk = resizeTimer("ok");
            resizeFailed = resizeTimer("failed");
            unconstrained = Timer.builder("vmsup_vcpu_unconstrained")
                    .description("how long a hotplugged vCPU's thread ran outside the vCPUs' CPU limits after its "
                            + "device_add reply (zero when born under them)").publishPercentiles(0.5, 0.99).register(registry);
            placement = Timer.builder("vmsup_vcpu_placement")
                    .description("from a hotplugged vCPU's device_add reply to its thread in the vcpu cgroup in every "
                            + "hierarchy").publishPercentiles(0.5, 0.99).register(registry);
            usageGauges(s);
            for (String cgroup : new String[] {"sandbox", "vcpu", "overhead"}) {
                usage(s, cgroup, "vmsup_cgroup_cpu_usage_seconds", st -> st.cpuUsageUs() == null ? Double.NaN
                        : st.cpuUsageUs() / 1e6);
                usage(s, cgroup, "vmsup_cgroup_memory_bytes", st -> st.memoryCurrentBytes() == null ? Double.NaN
                        : st.memoryCurrentBytes());
                usage(s, cgroup, "vmsup_cgroup_cpu_throttled_seconds", st -> st.cpuThrottledUs() == null ? Double.NaN
                        : st.cpuThrottledUs() / 1e6);
                usage(s, cgroup, "vmsup_cgroup_memory_anon_bytes", st -> orNaN(st.memoryAnonBytes()));
                usage(s, cgroup, "vmsup_cgroup_memory_file_bytes", st -> orNaN(st.memoryFileBytes()));
                usage(s, cgroup, "vmsup_cgroup_pids", st -> orNaN(st.pidsCurrent()));
            }
        }

        private static double orNaN(Long v) {
            return v == null ? Double.NaN : v;
        }

        /**
         * The usage sampler's figures, from its latest kept sample (a scrape never reads /proc itself): CPU per thread
         * group, memory per process, the overhead and the recommended podFixed over the last minute (margin 20%).
         */
        private void usageGauges(Sandbox s) {
            for (String group : UsageSample.CPU_GROUPS) {
                Gauge.builder("vmsup_process_cpu_seconds", s, x -> latest(x, u -> u.cpuMicros().get(group) / 1e6))
                        .description("CPU time used so far, by thread group").tag("group", group).register(registry);
            }
            Map<String, ToDoubleFunction<ProcessMemory>> kinds = Map.of("pss", ProcessMemory::pss, "rss",
                    ProcessMemory::rss, "anon", ProcessMemory::anon, "file_pss", ProcessMemory::pssFile,
                    "guest_ram_pss", ProcessMemory::guestPss);
            for (String process : UsageSample.PROCESSES) {
                kinds.forEach((kind, value) -> Gauge.builder("vmsup_process_memory_bytes", s,
                        x -> latest(x, u -> value.applyAsDouble(u.memory().get(process)))).tag("process", process)
                        .tag("kind", kind).register(registry));
            }
            Gauge.builder("vmsup_overhead_memory_bytes", s, x -> latest(x, UsageSample::overheadMemoryBytes))
                    .description("PSS of vmsup, virtiofsd and QEMU outside the guest's RAM").register(registry);
            Gauge.builder("vmsup_podfixed_memory_bytes", s, x -> advice(x, r -> r.recommendedMemoryBytes()))
                    .description("recommended RuntimeClass overhead.podFixed.memory (last minute, margin 20%)")
                    .register(registry);
            Gauge.builder("vmsup_podfixed_cpu_cores", s, x -> advice(x, r -> r.recommendedCpuMillicores() / 1000.0))
                    .description("recommended RuntimeClass overhead.podFixed.cpu (last minute, margin 20%)")
                    .register(registry);
        }

        private static double latest(Sandbox s, ToDoubleFunction<UsageSample> value) {
            UsageSampler u = s.usage();
            List<UsageSample> recent = u == null ? List.of() : u.recent(UsageSampler.INTERVAL.multipliedBy(2));
            return recent.isEmpty() ? Double.NaN : value.applyAsDouble(recent.get(recent.size() - 1));
        }

        private static double advice(Sandbox s, ToDoubleFunction<OverheadReport> value) {
            UsageSampler u = s.usage();
            List<UsageSample> recent = u == null ? List.of() : u.recent(Duration.ofSeconds(60));
            return recent.size() < 2 ? Double.NaN : value.applyAsDouble(OverheadReport.of(recent, u.subjects(), 20));
        }

        private Timer resizeTimer(String result) {
            return Timer.builder("vmsup_resize").description("resize until placed and limits applied")
                    .tag("result", result).serviceLevelObjectives(RESIZE_BUCKETS).register(registry);
        }

        private void usage(Sandbox s, String cgroup, String name, ToDoubleFunction<CgroupStats> value) {
            Gauge.builder(name, s, x -> {
                try {
                    Map<String, CgroupStats> all = x.stats();
                    CgroupStats st = all.get(cgroup);
                    return st == null ? Double.NaN : value.applyAsDouble(st);
                } catch (RuntimeException e) {
                    return Double.NaN;
                }
            }).tag("cgroup", cgroup).register(registry);
        }

        void resized(Duration took, boolean succeeded) {
            (succeeded ? resizeOk : resizeFailed).record(took);
        }

        void qmpRoundTrip(String command, Duration took) {
            int space = command.indexOf(' ');
            Timer.builder("vmsup_qmp_round_trip").tag("command", space < 0 ? command : command.substring(0, space))
                    .serviceLevelObjectives(QMP_BUCKETS).register(registry).record(took);
        }

        void vcpuPlaced(Duration outside, Duration placed) {
            unconstrained.record(outside);
            placement.record(placed);
        }

        void placementFailed() {
            placementFailures.increment();
        }

        void kernelThreadUnplaced() {
            kernelThreadsUnplaced.increment();
        }

        String scrape() {
            return registry.scrape();
        }
    }
}
