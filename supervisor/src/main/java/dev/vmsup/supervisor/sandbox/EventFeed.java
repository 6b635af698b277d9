package dev.vmsup.supervisor.sandbox;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.supervisor.cgroups.VcpuInfo;

/**
 * The sandbox's events, handed to every subscriber in the order they happened. A subscriber must not block (the
 * API's stream queues and bounds what it sends); one that throws is dropped, never the sandbox.
 */
public final class EventFeed {
    private static final Logger LOG = LoggerFactory.getLogger(EventFeed.class);

    private final List<Consumer<SandboxEvent>> subscribers = new CopyOnWriteArrayList<>();

    /** Adds {@code subscriber}; the returned handle removes it. */
    public AutoCloseable subscribe(Consumer<SandboxEvent> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    synchronized void publish(SandboxEvent event) {
        for (Consumer<SandboxEvent> s : subscribers) {
            try {
                s.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("event subscriber dropped: {}", e.toString());
                subscribers.remove(s);
            }
        }
    }

    void state(SandboxState state) {
        publish(SandboxEvent.of("state", "state", state.name().toLowerCase()));
    }

    /** vcpu_placed for each vCPU new in {@code after} (or newly placed), vcpu_unplugged for each gone. */
    void vcpus(List<VcpuInfo> before, List<VcpuInfo> after, String vcpuCgroup) {
        Map<Integer, VcpuInfo> old = new HashMap<>();
        before.forEach(v -> old.put(v.threadId(), v));
        for (VcpuInfo v : after) {
            VcpuInfo was = old.remove(v.threadId());
            if (was == null || was.placed() != v.placed()) {
                publish(v.placed() ? SandboxEvent.of("vcpu_placed", "index", v.index(), "thread_id", v.threadId(),
                        "cgroup", vcpuCgroup)
                        : SandboxEvent.of("placement_failed", "index", v.index(), "thread_id", v.threadId(),
                                "reason", "the thread exited before it could be moved (ESRCH)"));
            }
        }
        old.values().forEach(v -> publish(SandboxEvent.of("vcpu_unplugged", "index", v.index(), "thread_id",
                v.threadId())));
    }

    void resized(int asked, int now, RuntimeException failure) {
        publish(failure == null ? SandboxEvent.of("resize", "ok", true, "count", now)
                : SandboxEvent.of("resize", "ok", false, "asked", asked, "count", now,
                        "step", failure instanceof ResizeException r ? r.step() : null, "error", failure.getMessage()));
    }

    void container(String id, String action, Resources inForce, RuntimeException refused) {
        publish(refused == null ? SandboxEvent.of("container", "id", id, "action", action, "limits", limits(inForce))
                : SandboxEvent.of("container", "id", id, "action", action + "_refused", "error", refused.getMessage(),
                        "limits", limits(inForce)));
    }

    private static Map<String, Object> limits(Resources r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu_quota", r.cpuMax() == null ? null : r.cpuMax().quotaUs());
        m.put("cpu_period", r.cpuMax() == null ? null : r.cpuMax().periodUs());
        m.put("cpu_shares", r.cpuShares());
        m.put("cpus", r.cpus() == null ? null : r.cpus().toString());
        m.put("memory_limit", r.memoryMaxBytes());
        return m;
    }
}
