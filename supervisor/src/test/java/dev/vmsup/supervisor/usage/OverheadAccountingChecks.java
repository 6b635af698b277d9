package dev.vmsup.supervisor.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.awaitility.Awaitility;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.supervisor.testing.ContractCheckingClient;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.VmsupProcess;

/**
 * The overhead accounting of a real {@code vmsup run} (a process of its own, with virtiofsd and a paused QEMU),
 * checked against figures read here, independently, from /proc and cgroupfs; run on cgroup v1 on the host and on v2
 * in the v2 guest. Tolerances: 5% for memory (the supervisor allocates as it answers), CPU between a reading taken
 * before the request and one after.
 */
final class OverheadAccountingChecks {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long GUEST = 128L << 20;

    private final SandboxFixture f;
    private final Path tmp;

    OverheadAccountingChecks(SandboxFixture f, Path tmp) {
        this.f = f;
        this.tmp = tmp;
    }

    void run(boolean sandboxCgroupOnly) throws Exception {
        String id = sandboxCgroupOnly ? "acc-only" : "acc-ovh";
        Path state = tmp.resolve(id);
        Path share = Files.createDirectories(tmp.resolve("share-" + id));
        List<String> args = new ArrayList<>(List.of(f.pausedRunArgs(id, state)));
        args.addAll(List.of("--share", share.toString()));
        if (sandboxCgroupOnly) {
            args.add("--sandbox-cgroup-only");
        }
        CgroupPath sandbox = f.parent().child("kata_" + id);
        CgroupPath home = sandboxCgroupOnly ? sandbox : f.overheadRoot().child(id);
        try (VmsupProcess vmsup = VmsupProcess.start(args.toArray(String[]::new))) {
            long qemu = vmsup.awaitStarted(180_000); // two JVM start-ups (the re-exec): over a minute in the nested v2 guest
            long self = vmsup.process.pid();
            assertThat(vmsup.output()).as("vmsup re-executed itself in its own cgroup").contains("re-executing in " + home);
            long inode = (long) Files.getAttribute(state.resolve("lock"), "unix:ino");
            assertThat(Files.readAllLines(Path.of("/proc/locks"))).as("vmsup (pid %d) holds the sandbox's lock (inode "
                    + "%d)", self, inode).anyMatch(l -> l.contains(" " + self + " ") && l.contains(":" + inode + " "));
            long lockFds = 0;
            try (var fds = Files.list(Path.of("/proc/" + self + "/fd"))) {
                for (Path fd : (Iterable<Path>) fds::iterator) {
                    try {
                        lockFds += Files.isSameFile(fd, state.resolve("lock")) ? 1 : 0;
                    } catch (IOException closedMeanwhile) {
                        // another descriptor of vmsup, gone while listed
                    }
                }
            }
            assertThat(lockFds).as("the descriptor that held the lock before the re-exec is still open, beside the new "
                    + "image's own").isEqualTo(2);
            ContractCheckingClient api = new ContractCheckingClient(state.resolve("api.sock"));

            bornWhereItBelongs(home, self);
            statsAddUp(api, sandbox, home, self, qemu, sandboxCgroupOnly);
            advisorMatchesProc(api, self, qemu);

            vmsup.process.toHandle().destroy();
            assertThat(vmsup.awaitExit(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).as(vmsup.output()).isZero();
        }
        assertThat(f.hierarchy.exists(sandbox)).isFalse();
        assertThat(f.hierarchy.exists(home)).isFalse();
    }

    /** The cgroup vmsup supervises from is charged >= 90% of the anonymous memory of the processes in it. */
    private void bornWhereItBelongs(CgroupPath home, long self) throws IOException {
        Path dir = memoryDir(home);
        long charged = memoryStat(dir).get(f.hierarchy.version() == CgroupVersion.V2 ? "anon" : "total_rss");
        long anon = 0;
        List<Long> pids = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("cgroup.procs"))) {
            long pid = Long.parseLong(line.strip());
            pids.add(pid);
            anon += rollup(pid).get("Anonymous");
        }
        assertThat(pids).as("processes in %s", home).contains(self);
        assertThat((double) charged).as("%s charged %d of the %d bytes of anonymous memory of %s", home, charged, anon,
                pids).isGreaterThanOrEqualTo(0.9 * anon);
    }

    private void statsAddUp(ContractCheckingClient api, CgroupPath sandbox, CgroupPath home, long self, long qemu,
            boolean sandboxCgroupOnly) throws IOException {
        long cpuBefore;
        long pssBefore;
        JsonNode stats;
        long cpuAfter;
        long pssAfter;
        int attempt = 0;
        do {
            // a process's PSS is a live share: it dipped by 15 MB for one reading of the guest's once, between two
            // readings that agreed. A figure vmsup gets wrong is wrong in every attempt.
            cpuBefore = cpuMicros(self);
            pssBefore = rollup(self).get("Pss");
            stats = MAPPER.readTree(api.send("GET", "/v1/stats", null).body());
            cpuAfter = cpuMicros(self);
            pssAfter = rollup(self).get("Pss");
        } while (++attempt < 3 && !between(stats.path("processes").path("vmsup").path("memory_pss_bytes").asLong(),
                pssBefore, pssAfter));
        JsonNode p = stats.path("processes");
        JsonNode vmsup = p.path("vmsup");
        assertThat(vmsup.path("pid").asLong()).isEqualTo(self);
        assertThat(vmsup.path("cpu_usage_us").asLong()).isBetween(cpuBefore, cpuAfter);
        try (var tasks = Files.list(Path.of("/proc/" + self + "/task"))) {
            assertThat(vmsup.path("tasks").asLong()).isCloseTo(tasks.count(), within(5L));
        }
        // read between the two readings of /proc, while a young JVM may still be growing (its warm-up runs now)
        assertBetween("vmsup PSS", vmsup.path("memory_pss_bytes").asLong(), pssBefore, pssAfter);
        assertClose("QEMU RSS", p.path("qemu").path("memory_rss_bytes").asLong(), rollup(qemu).get("Rss"));
        assertThat(p.path("qemu_vcpu_threads").path("tasks").asInt()).isEqualTo(SandboxFixture.vcpuThreads(qemu).size());
        assertThat(p.path("qemu").path("tasks").asInt()).isEqualTo(SandboxFixture.threads(qemu).size());
        long vfsd = p.path("virtiofsd").path("pid").asLong();
        assertThat(vfsd).isPositive();
        long vfsdRss = 0;
        for (long pid : family(vfsd)) {
            vfsdRss += rollup(pid).get("Rss");
        }
        assertClose("virtiofsd (and its sandboxed child) RSS", p.path("virtiofsd").path("memory_rss_bytes").asLong(),
                vfsdRss);

        JsonNode c = stats.path("cgroups");
        JsonNode overhead = stats.path("sandbox_overhead");
        for (String field : List.of("memory_current_bytes", "memory_anon_bytes", "memory_file_bytes", "pids_current",
                "cpu_usage_us")) {
            assertThat(overhead.path(field).isNull() || overhead.path(field).isMissingNode()).as("sandbox_overhead %s: %s",
                    field, overhead).isFalse();
        }
        long inSandbox = Files.readAllLines(memoryDir(sandbox).resolve("cgroup.procs")).size();
        if (!sandboxCgroupOnly && inSandbox > 0) {
            // QEMU lives in the sandbox cgroup (v2): its memory is part of what sits outside the vCPUs
            assertThat(overhead.path("memory_current_bytes").asLong()).as("%s", stats)
                    .isGreaterThanOrEqualTo(c.path("sandbox").path("memory_current_bytes").asLong());
        }
        long vcpuTasks = SandboxFixture.vcpuThreads(qemu).size();
        long allTasks = c.path("sandbox").path("pids_current").asLong()
                + (c.has("overhead") ? c.path("overhead").path("pids_current").asLong() : 0);
        assertThat(overhead.path("pids_current").asLong()).as("every task but the vCPU threads: %s", stats)
                .isEqualTo(allTasks - vcpuTasks);
    }

    private void advisorMatchesProc(ContractCheckingClient api, long self, long qemu) throws IOException {
        // the advisor's "current" is its last sample (taken every 5 s): wait for one taken after the requests above,
        // whose first use loaded code in vmsup, so that /proc is read right after it rather than up to 5 s later
        JsonNode stats = MAPPER.readTree(api.send("GET", "/v1/stats", null).body());
        long vfsd = stats.path("processes").path("virtiofsd").path("pid").asLong();
        int before = samples(api);
        long outsideBefore = outsideGuest(self, qemu, vfsd);
        Awaitility.await("a sample after " + before).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                .until(() -> samples(api) > before);
        long outsideAfter = outsideGuest(self, qemu, vfsd);
        JsonNode r = MAPPER.readTree(api.send("GET", "/v1/overhead?window=30&margin=10&runtime_class=kata-qemu", null)
                .body());
        assertBetween("memory outside the guest's RAM", r.path("memory_bytes").path("total").path("current").asLong(),
                outsideBefore, outsideAfter);
        assertThat(r.path("guest").path("base_bytes").asLong()).isEqualTo(GUEST);
        long need = r.path("memory_bytes").path("total").path("max").asLong() + GUEST;
        long recommended = r.path("recommendation").path("memory_bytes").asLong();
        assertThat(recommended).isBetween(need * 110 / 100, need * 110 / 100 + (1 << 20));
        assertThat(r.path("runtime_class_yaml").asText()).contains("name: kata-qemu",
                "memory: \"" + (recommended >> 20) + "Mi\"");
        String metrics = api.send("GET", "/metrics", null).body();
        assertThat(metrics).contains("vmsup_process_cpu_seconds{group=\"qemu_vcpus\"}", "vmsup_podfixed_memory_bytes",
                "vmsup_podfixed_cpu_cores", "vmsup_overhead_memory_bytes", "vmsup_cgroup_memory_file_bytes{cgroup=");
        java.util.regex.Matcher pss = java.util.regex.Pattern
                .compile("vmsup_process_memory_bytes\\{kind=\"pss\",process=\"vmsup\"} ([0-9.E]+)").matcher(metrics);
        assertThat(pss.find()).as(metrics).isTrue();
        // the gauge is the sampler's last sample (at most 10 s old; a starting JVM still grows): a figure the advisor
        // also saw, not /proc's of this instant
        double gauge = Double.parseDouble(pss.group(1));
        assertThat(gauge).as("vmsup's PSS gauge").isGreaterThan(0.5 * rollup(self).get("Pss"))
                .isLessThanOrEqualTo(1.05 * Math.max(r.path("memory_bytes").path("vmsup").path("max").asLong(),
                        rollup(self).get("Pss")));
        assertThat(api.send("GET", "/v1/overhead?window=0", null).status()).isEqualTo(400);
        assertThat(api.send("GET", "/v1/overhead?runtime_class=Bad_Name", null).status()).isEqualTo(400);
    }

    /** PSS of vmsup, QEMU and virtiofsd (with its child) outside the guest's RAM, read from /proc now. */
    private long outsideGuest(long self, long qemu, long virtiofsd) throws IOException {
        long total = 0;
        List<Long> pids = new ArrayList<>(List.of(self, qemu));
        pids.addAll(family(virtiofsd));
        for (long pid : pids) {
            total += rollup(pid).get("Pss") - guestPss(pid, GUEST);
        }
        return total;
    }

    /** {@code reported} was taken between two readings of /proc: within 5% of the range they span. */
    private static void assertBetween(String what, long reported, long first, long second) {
        assertThat((double) reported).as("%s: reported %d, /proc said %d before and %d after", what, reported, first,
                second).isBetween(low(first, second), high(first, second));
    }

    private static boolean between(long reported, long first, long second) {
        return reported >= low(first, second) && reported <= high(first, second);
    }

    /** The bounds of {@link #assertBetween}: the range two readings span, widened by 5% each way. */
    private static double low(long first, long second) {
        return 0.95 * Math.min(first, second);
    }

    private static double high(long first, long second) {
        return 1.05 * Math.max(first, second);
    }

    private static int samples(ContractCheckingClient api) throws IOException {
        return MAPPER.readTree(api.send("GET", "/v1/overhead?window=600", null).body()).path("samples").asInt();
    }

    private static void assertClose(String what, long reported, long independent) {
        assertThat((double) reported).as("%s: reported %d, /proc says %d", what, reported, independent)
                .isCloseTo(independent, within(0.05 * independent));
    }

    private Path memoryDir(CgroupPath path) {
        Path mount = f.hierarchy.version() == CgroupVersion.V2 ? f.host.unifiedMount() : f.host.v1Mounts().get("memory");
        return mount.resolve(path.relative());
    }

    private static Map<String, Long> memoryStat(Path dir) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        for (String line : Files.readAllLines(dir.resolve("memory.stat"))) {
            String[] kv = line.split(" ");
            out.put(kv[0], Long.parseLong(kv[1]));
        }
        return out;
    }

    /** {@code pid} and its children's children, read here from /proc/<pid>/task/<tid>/children. */
    static List<Long> family(long pid) throws IOException {
        List<Long> all = new ArrayList<>(List.of(pid));
        for (int i = 0; i < all.size(); i++) {
            try (var tasks = Files.list(Path.of("/proc/" + all.get(i) + "/task"))) {
                for (Path t : (Iterable<Path>) tasks::iterator) {
                    for (String c : Files.readString(t.resolve("children")).trim().split(" ")) {
                        if (!c.isEmpty()) {
                            all.add(Long.parseLong(c));
                        }
                    }
                }
            }
        }
        return all;
    }

    /** smaps_rollup in bytes, read here. */
    static Map<String, Long> rollup(long pid) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[2].equals("kB")) {
                out.put(f[0].replace(":", ""), Long.parseLong(f[1]) * 1024);
            }
        }
        return out;
    }

    /** PSS of the mappings of exactly the guest's size that are anonymous or a memfd, read here. */
    static long guestPss(long pid, long guestBytes) throws IOException {
        return guestRam(pid, guestBytes, "Pss:");
    }

    /** Sum of {@code field} over the guest RAM mappings of {@code pid} (its size; anonymous or a memfd), read here. */
    static long guestRam(long pid, long guestBytes, String field) throws IOException {
        long pss = 0;
        boolean guest = false;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 5 && f[0].matches("[0-9a-f]+-[0-9a-f]+")) {
                String[] range = f[0].split("-");
                long size = Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
                guest = size == guestBytes && (f.length == 5 || f[5].startsWith("/memfd:"));
            } else if (guest && f[0].equals(field)) {
                pss += Long.parseLong(f[1]) * 1024;
            }
        }
        return pss;
    }

    private static long cpuMicros(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000;
    }
}
