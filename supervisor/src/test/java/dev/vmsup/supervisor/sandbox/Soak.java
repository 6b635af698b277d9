package dev.vmsup.supervisor.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.internal.SubtreeRemover;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.TestFiles;

/**
 * The soak: each cycle starts a sandbox in this JVM (a real paused TCG QEMU, real cgroups), resizes it 1 -> max,
 * adds and removes a container, checks that every vCPU thread is in the vcpu cgroup and the quota file equals the
 * merged quota, and tears it down. A cycle starts a fresh QEMU because QEMU 7.2 under TCG cannot hotplug after an
 * unplug (it crashes) and a paused VM cannot unplug at all. At the end: leaked cgroups, and this JVM's fd and
 * thread counts and RSS against their values after the first cycle. {@code scripts/soak --cycles N} runs it.
 */
public final class Soak {
    private static final ContainerResources CONTAINER = new ContainerResources(150_000L, 100_000L, null, null, null, null);

    /** One line of results; {@code ok} when nothing leaked and every check held. */
    public record Result(int cycles, int checks, int failures, int leakedCgroups, long fdDelta, long threadDelta,
            long rssGrowthKib, long millis) {
        public boolean ok() {
            return failures == 0 && leakedCgroups == 0 && fdDelta <= 0 && threadDelta <= 0;
        }

        @Override
        public String toString() {
            return String.format("soak: %s cycles=%d checks=%d failures=%d leaked_cgroups=%d fd_delta=%d "
                    + "thread_delta=%d rss_growth_kib=%d seconds=%.1f", ok() ? "PASS" : "FAIL", cycles, checks, failures,
                    leakedCgroups, fdDelta, threadDelta, rssGrowthKib, millis / 1000.0);
        }
    }

    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        int cycles = 20;
        int mixed = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--cycles")) {
                cycles = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--mixed")) {
                mixed = Integer.parseInt(args[++i]);
            }
        }
        Path tmp = Files.createTempDirectory("vmsup-soak");
        boolean ok;
        try {
            if (mixed > 0) {
                MixedSoak.Result r = MixedSoak.run(mixed, 8, System.nanoTime(), tmp);
                System.out.println(r);
                ok = r.ok();
            } else {
                Result r = run(cycles, tmp);
                System.out.println(r);
                ok = r.ok();
            }
        } finally {
            TestFiles.deleteTree(tmp);
        }
        System.exit(ok ? 0 : 1);
    }

    public static Result run(int cycles, Path tmp) throws IOException {
        long start = System.currentTimeMillis();
        SandboxFixture f = SandboxFixture.v1(tmp, Set.of("cpu", "cpuacct", "cpuset", "pids"));
        int checks = 0;
        int failures = 0;
        long fd0 = 0;
        long th0 = 0;
        long rss0 = 0;
        int leaked;
        try {
            for (int i = 0; i < cycles; i++) {
                Settings settings = f.settings(false);
                settings.apiSocket("none");
                Sandbox s = f.start(settings.resolve("soak"), Map.of());
                try {
                    Path quota = f.host.v1Mounts().get("cpu").resolve(s.layout().vcpu().relative())
                            .resolve("cpu.cfs_quota_us");
                    s.resize(s.config().maxVcpus());
                    checks++;
                    failures += check(f, s, s.config().maxVcpus(), quota, "-1", i);
                    s.putContainer("c", CONTAINER);
                    checks++;
                    failures += check(f, s, s.config().maxVcpus(), quota, "150000", i);
                    s.removeContainer("c");
                    checks++;
                    failures += check(f, s, s.config().maxVcpus(), quota, "-1", i);
                } finally {
                    if (!s.teardown().isEmpty()) {
                        failures++;
                    }
                }
                if (f.hierarchy.exists(s.layout().sandbox()) || f.hierarchy.exists(s.layout().overhead())) {
                    failures++;
                }
                if (i == 0) {
                    // after one cycle: classes loaded, shared schedulers started
                    fd0 = count("/proc/self/fd");
                    th0 = count("/proc/self/task");
                    rss0 = rssKib();
                }
            }
        } finally {
            leaked = leakedCgroups(f);
            f.close();
        }
        long fdDelta = cycles == 0 ? 0 : count("/proc/self/fd") - fd0;
        long threadDelta = cycles == 0 ? 0 : count("/proc/self/task") - th0;
        long rssGrowth = cycles == 0 ? 0 : rssKib() - rss0;
        return new Result(cycles, checks, failures, leaked, fdDelta, threadDelta, rssGrowth,
                System.currentTimeMillis() - start);
    }

    private static int check(SandboxFixture f, Sandbox s, int vcpus, Path quota, String expected, int cycle) {
        var threads = SandboxFixture.vcpuThreads(s.snapshot().qemuPid());
        boolean placed = threads.size() == vcpus
                && threads.stream().allMatch(tid -> f.hierarchy.isPlaced(s.layout().vcpu(), (int) s.snapshot().qemuPid(), tid));
        boolean quotaOk = CgroupFiles.read(quota).strip().equals(expected);
        if (placed && quotaOk) {
            return 0;
        }
        System.err.printf("soak: cycle %d: placed=%s quota=%s (want %s)%n", cycle, placed,
                CgroupFiles.read(quota).strip(), expected);
        return 1;
    }

    private static int leakedCgroups(SandboxFixture f) {
        int n = 0;
        for (Path mount : Set.copyOf(f.host.v1Mounts().values())) {
            for (String top : new String[] {"vmsup", "kata_overhead"}) {
                Path dir = mount.resolve(f.root.path().relative()).resolve(top);
                if (Files.isDirectory(dir)) {
                    n += SubtreeRemover.childDirectories(dir).size();
                }
            }
        }
        return n;
    }

    private static long count(String dir) throws IOException {
        try (var s = Files.list(Path.of(dir))) {
            return s.count();
        }
    }

    private static long rssKib() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
