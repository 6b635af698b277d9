package dev.vmsup.supervisor.api;

import java.time.Duration;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import dev.vmsup.cgroupfs.CgroupStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.vmsup.supervisor.SupervisorEvents;
import dev.vmsup.supervisor.sandbox.Sandbox;

/** The sandbox's metrics in a Micrometer Prometheus registry, scraped by {@code GET /metrics}. */
public final class Metrics implements SupervisorEvents {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter placementFailures;
    private final Counter kernelThreadsUnplaced;
    private final Timer resizeOk;
    private final Timer resizeFailed;
    private final Timer unconstrained;

    /** Metrics of {@code s}, installed as the sandbox's events (its resizes, QMP round trips, placements). */
    public static Metrics attachTo(Sandbox s) {
        Metrics m = new Metrics(s);
        s.events(m);
        return m;
    }

    /** Gauges read {@code s}: its snapshot and its cgroups' usage. */
    private Metrics(Sandbox s) {
        Gauge.builder("vmsup_vcpus", s, x -> x.snapshot().vcpus().size()).description("vCPUs present").register(registry);
        Gauge.builder("vmsup_vcpus_max", s, x -> x.snapshot().maxVcpus()).register(registry);
        placementFailures = Counter.builder("vmsup_placement_failures")
                .description("vCPU threads that could not be placed").register(registry);
        kernelThreadsUnplaced = Counter.builder("vmsup_kernel_thread_placement_failures")
                .description("KVM kernel threads (kvm-pit) the kernel refused to move into the sandbox's cgroups")
                .register(registry);
        resizeOk = resizeTimer("ok");
        resizeFailed = resizeTimer("failed");
        unconstrained = Timer.builder("vmsup_vcpu_unconstrained")
                .description("from a hotplugged vCPU's device_add reply to its thread being in the vcpu cgroup")
                .publishPercentiles(0.5, 0.99).register(registry);
        for (String cgroup : new String[] {"sandbox", "vcpu", "overhead"}) {
            usage(s, cgroup, "vmsup_cgroup_cpu_usage_seconds", st -> st.cpuUsageUs() == null ? Double.NaN
                    : st.cpuUsageUs() / 1e6);
            usage(s, cgroup, "vmsup_cgroup_memory_bytes", st -> st.memoryCurrentBytes() == null ? Double.NaN
                    : st.memoryCurrentBytes());
            usage(s, cgroup, "vmsup_cgroup_cpu_throttled_seconds", st -> st.cpuThrottledUs() == null ? Double.NaN
                    : st.cpuThrottledUs() / 1e6);
        }
    }

    private Timer resizeTimer(String result) {
        return Timer.builder("vmsup_resize").description("resize until placed and limits applied")
                .tag("result", result).publishPercentileHistogram().register(registry);
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

    @Override
    public void resized(Duration took, boolean succeeded) {
        (succeeded ? resizeOk : resizeFailed).record(took);
    }

    @Override
    public void qmpRoundTrip(String command, Duration took) {
        int space = command.indexOf(' ');
        Timer.builder("vmsup_qmp_round_trip").tag("command", space < 0 ? command : command.substring(0, space))
                .publishPercentileHistogram().register(registry).record(took);
    }

    @Override
    public void vcpuPlaced(Duration window) {
        unconstrained.record(window);
    }

    @Override
    public void placementFailed() {
        placementFailures.increment();
    }

    @Override
    public void kernelThreadUnplaced() {
        kernelThreadsUnplaced.increment();
    }

    String scrape() {
        return registry.scrape();
    }
}
