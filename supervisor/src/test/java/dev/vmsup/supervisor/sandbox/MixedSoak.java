package dev.vmsup.supervisor.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vmsup.cgroupfs.CpuMax;
import dev.vmsup.supervisor.api.ApiServer;
import dev.vmsup.supervisor.api.Metrics;
import dev.vmsup.supervisor.ctl.UnixHttpClient;
import dev.vmsup.supervisor.resources.ResourceMerger;
import dev.vmsup.supervisor.testing.SandboxFixture;

/**
 * The mixed soak: one sandbox (real paused TCG QEMU, real cgroups) driven through its API socket by several
 * concurrent clients with a random mix of resizes, container puts (some the kernel refuses) and deletes, and reads.
 * Every request must be answered within its deadline with an expected status, and after every answer the sandbox's
 * published snapshot must hold limits equal to the merge of the containers it records. At the end the vcpu cgroup's
 * quota file equals the merged quota, every vCPU thread is placed, and nothing leaks.
 * {@code scripts/soak --mixed OPS} runs it.
 */
public final class MixedSoak {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    /** The status recorded for a shrink a paused VM cannot make (QEMU needs a running guest for device_del). */
    private static final int SHRINK_REFUSED = 599;

    /** One line of results. */
    public record Result(int ops, int clients, int answered, int late, int unexpected, int inconsistent,
            Map<Integer, Integer> statuses, long p50Ms, long p99Ms, long maxMs, int leakedCgroups, long millis) {
        public boolean ok() {
            return answered == ops && late == 0 && unexpected == 0 && inconsistent == 0 && leakedCgroups == 0;
        }

        @Override
        public String toString() {
            return String.format("soak-mixed: %s ops=%d clients=%d answered=%d late=%d unexpected=%d inconsistent=%d "
                    + "statuses=%s p50_ms=%d p99_ms=%d max_ms=%d leaked_cgroups=%d seconds=%.1f", ok() ? "PASS" : "FAIL",
                    ops, clients, answered, late, unexpected, inconsistent, statuses, p50Ms, p99Ms, maxMs, leakedCgroups,
                    millis / 1000.0);
        }
    }

    private MixedSoak() {
    }

    public static Result run(int ops, int clients, long seed, Path tmp) throws Exception {
        long start = System.currentTimeMillis();
        SandboxFixture f = SandboxFixture.v1(tmp, Set.of("cpu", "cpuacct", "cpuset", "pids"));
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger late = new AtomicInteger();
        AtomicInteger unexpected = new AtomicInteger();
        AtomicInteger inconsistent = new AtomicInteger();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        int leaked;
        try {
            Sandbox s = f.start(f.settings(false).apiSocket("none").resolve("mixed"), Map.of());
            ApiServer api = ApiServer.start(f.vertx(), s, Metrics.attachTo(s), tmp.resolve("api.sock"));
            try {
                AtomicInteger next = new AtomicInteger();
                CountDownLatch done = new CountDownLatch(clients);
                int cpus = Runtime.getRuntime().availableProcessors();
                for (int c = 0; c < clients; c++) {
                    Random rnd = new Random(seed + c);
                    UnixHttpClient http = new UnixHttpClient(api.socket(), DEADLINE);
                    Thread t = new Thread(() -> {
                        try {
                            while (next.getAndIncrement() < ops) {
                                long t0 = System.nanoTime();
                                int status = request(http, rnd, cpus);
                                long ms = (System.nanoTime() - t0) / 1_000_000;
                                latencies.add(ms);
                                if (status < 0) {
                                    late.incrementAndGet();
                                    continue;
                                }
                                answered.incrementAndGet();
                                statuses.merge(status, 1, Integer::sum);
                                if (!List.of(200, 201, 204, 400, 404, SHRINK_REFUSED).contains(status)) {
                                    unexpected.incrementAndGet();
                                }
                                SandboxSnapshot snap = s.snapshot();
                                CpuMax merged = ResourceMerger.merge(snap.containers().values()).cpuMax();
                                if (!merged.equals(snap.resourcesInForce().cpuMax())) {
                                    inconsistent.incrementAndGet();
                                }
                            }
                        } finally {
                            done.countDown();
                        }
                    }, "soak-client-" + c);
                    t.start();
                }
                if (!done.await(ops * DEADLINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                    late.incrementAndGet();
                }
                String quota = Files.readString(f.host.v1Mounts().get("cpu").resolve(s.layout().vcpu().relative())
                        .resolve("cpu.cfs_quota_us")).strip();
                CpuMax merged = ResourceMerger.merge(s.snapshot().containers().values()).cpuMax();
                if (!quota.equals(Long.toString(merged.quotaUs()))) {
                    inconsistent.incrementAndGet();
                }
                long qemu = s.snapshot().qemuPid();
                if (!SandboxFixture.vcpuThreads(qemu).stream().allMatch(tid ->
                        f.hierarchy.isPlaced(s.layout().vcpu(), (int) qemu, tid))) {
                    inconsistent.incrementAndGet();
                }
            } finally {
                api.close();
                s.teardown();
            }
        } finally {
            leaked = f.leftoverSandboxCgroups().size();
            f.close();
        }
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        long p50 = sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
        long p99 = sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99)));
        long max = sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1);
        return new Result(ops, clients, answered.get(), late.get(), unexpected.get(), inconsistent.get(),
                new TreeMap<>(statuses), p50, p99, max, leaked, System.currentTimeMillis() - start);
    }

    /** One random request; its status, or -1 when it was not answered within the deadline. */
    private static int request(UnixHttpClient http, Random rnd, int hostCpus) {
        String id = "c" + rnd.nextInt(6);
        try {
            int pick = rnd.nextInt(100);
            if (pick < 15) {
                UnixHttpClient.Response r = http.send("PUT", "/v1/sandbox/vcpus", "{\"count\": " + (1 + rnd.nextInt(4))
                        + "}");
                // a paused VM can grow but not shrink: QEMU refuses device_del, answered 500 naming the step
                return r.status() == 500 && r.body().contains("device_del") ? SHRINK_REFUSED : r.status();
            }
            if (pick < 45) {
                long period = 1000L * (10 + rnd.nextInt(990));
                long quota = 1000L * (1 + rnd.nextInt(2000));
                String cpus = rnd.nextInt(10) == 0 ? ", \"cpus\": \"" + (hostCpus + 5) + "\"" : "";
                return http.send("PUT", "/v1/containers/" + id, "{\"cpu\": {\"quota\": " + quota + ", \"period\": "
                        + period + cpus + "}}").status();
            }
            if (pick < 60) {
                return http.send("DELETE", "/v1/containers/" + id, null).status();
            }
            String path = List.of("/v1/sandbox", "/v1/containers", "/v1/stats", "/metrics").get(rnd.nextInt(4));
            return http.send("GET", path, null).status();
        } catch (IOException e) {
            return -1;
        }
    }
}
