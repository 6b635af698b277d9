package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.vmsup.cgroupfs.internal.Backoff;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.v1.V1Hierarchy;


/** cgroupfs on this host's real cgroup v1 hierarchies (cpu, cpuacct, cpuset, memory, pids). */
class V1HierarchyTest {
    private CgroupHost host;
    private V1Hierarchy v1;
    private TestParent parent;

    @BeforeEach
    void setUp() {
        host = Prerequisites.requireCgroupV1("cpu", "cpuacct", "cpuset", "memory", "pids");
        v1 = host.v1(Set.of("cpu", "cpuacct", "cpuset", "memory", "pids"));
        parent = TestParent.create(v1);
    }

    @AfterEach
    void tearDown() {
        if (parent != null) {
            parent.close();
        }
    }

    private Path dir(String controller, CgroupPath path) {
        return host.v1Mounts().get(controller).resolve(path.relative());
    }

    @Test
    void createsTreesInEveryHierarchyAndDeletesDeepestFirst() {
        CgroupPath deep = parent.child("a/b/c");
        Cgroup c = v1.create(deep);
        assertThat(c.created()).isTrue();
        for (String controller : v1.controllers()) {
            assertThat(dir(controller, deep)).isDirectory();
        }
        assertThat(v1.exists(deep)).isTrue();

        DeleteReport report = v1.load(parent.child("a")).delete();
        assertThat(report.complete()).isTrue();
        assertThat(report.removed()).containsExactly(parent.child("a/b/c"), parent.child("a/b"), parent.child("a"));
        assertThat(v1.exists(parent.child("a"))).isFalse();
        assertThat(v1.exists(parent.path())).as("never deletes above what it was asked").isTrue();
    }

    @Test
    void createIsIdempotentAndLoadingNeverResetsLimits() {
        CgroupPath overhead = parent.child("kata_overhead");
        Cgroup first = v1.create(overhead);
        first.setResources(Resources.builder().cpuMax(new CpuMax(200_000, 100_000)).memoryMaxBytes(256L << 20).build());

        Cgroup again = v1.create(overhead);
        assertThat(again.created()).isFalse();
        assertThat(CgroupFiles.read(dir("cpu", overhead).resolve("cpu.cfs_quota_us")).strip()).isEqualTo("200000");
        assertThat(CgroupFiles.readLong(dir("memory", overhead).resolve("memory.limit_in_bytes"))).isEqualTo(256L << 20);
        assertThat(v1.load(overhead).path()).isEqualTo(overhead);
    }

    @Test
    void loadOfMissingCgroupIsEnoent() {
        assertThatThrownBy(() -> v1.load(parent.child("missing")))
                .isInstanceOfSatisfying(CgroupException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void newCpusetCgroupInheritsParentCpusAndMems() {
        Cgroup c = v1.create(parent.child("x/y"));
        String parentCpus = CgroupFiles.read(dir("cpuset", parent.path()).resolve("cpuset.cpus")).strip();
        assertThat(parentCpus).isNotEmpty();
        assertThat(CgroupFiles.read(dir("cpuset", c.path()).resolve("cpuset.cpus")).strip()).isEqualTo(parentCpus);
        assertThat(CgroupFiles.read(dir("cpuset", c.path()).resolve("cpuset.mems")).strip())
                .isEqualTo(CgroupFiles.read(dir("cpuset", parent.path()).resolve("cpuset.mems")).strip());
    }

    @Test
    void movesARealProcessInEveryHierarchy() {
        Cgroup sandbox = v1.create(parent.child("kata_sb"));
        try (Spawned sleep = Spawned.sleeper()) {
            assertThat(sandbox.addProcess(sleep.pid())).isEqualTo(Placement.MOVED);
            assertThat(sandbox.processes()).contains(sleep.pid());
            assertThat(v1.placementOf(sleep.pid(), sleep.pid()))
                    .containsOnlyKeys("cpu", "cpuacct", "cpuset", "memory", "pids")
                    .allSatisfy((controller, path) -> assertThat(path).isEqualTo(sandbox.path()));
            assertThat(v1.isPlaced(sandbox.path(), sleep.pid(), sleep.pid())).isTrue();
        }
    }

    @Test
    void movesAThreadInTheHierarchiesOfSomeControllersOnly() {
        Cgroup sandbox = v1.create(parent.child("kata_sb"));
        Cgroup vcpu = sandbox.createThreadedChild("vcpu");
        try (Spawned sleep = Spawned.sleeper()) {
            assertThat(sandbox.addProcess(sleep.pid())).isEqualTo(Placement.MOVED);
            assertThat(vcpu.addThread(sleep.pid(), Set.of("cpu", "cpuset"))).isEqualTo(Placement.MOVED);
            Map<String, CgroupPath> at = v1.placementOf(sleep.pid(), sleep.pid());
            assertThat(at).as("cpu and cpuset moved; memory and pids stay").containsEntry("cpu", vcpu.path())
                    .containsEntry("cpuset", vcpu.path()).containsEntry("memory", sandbox.path())
                    .containsEntry("pids", sandbox.path());
            assertThat(sandbox.addThread(sleep.pid(), Set.of("cpu", "cpuset"))).isEqualTo(Placement.MOVED);
            assertThat(v1.isPlaced(sandbox.path(), sleep.pid(), sleep.pid())).as("back everywhere").isTrue();
        }
    }

    @Test
    void movesOneRealThreadWhileItsProcessStays() throws Exception {
        V1Hierarchy cpuOnly = host.v1(Set.of("cpu", "cpuacct", "cpuset"));
        Cgroup vcpu = cpuOnly.create(parent.child("kata_sb")).createThreadedChild("vcpu");
        int pid = (int) ProcessHandle.current().pid();
        CountDownLatch moved = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger tid = new AtomicInteger();
        Thread worker = new Thread(() -> {
            tid.set(Prerequisites.currentTid());
            moved.countDown();
            try {
                done.await();
            } catch (InterruptedException ignored) {
                // exit
            }
        }, "vcpu-standin");
        worker.start();
        try {
            moved.await();
            Map<String, CgroupPath> before = cpuOnly.placementOf(pid, pid);
            assertThat(vcpu.addThread(tid.get())).isEqualTo(Placement.MOVED);
            assertThat(vcpu.threads()).containsExactly(tid.get());
            assertThat(cpuOnly.isPlaced(vcpu.path(), pid, tid.get())).isTrue();
            assertThat(Files.readString(Path.of("/proc/" + pid + "/task/" + tid.get() + "/cgroup")))
                    .contains(":cpu:" + vcpu.path() + "\n");
            assertThat(cpuOnly.placementOf(pid, pid)).as("the process's main thread stays").isEqualTo(before);
            assertThat(vcpu.processes()).as("cgroup.procs lists the process of a moved thread").contains(pid);
        } finally {
            done.countDown();
            worker.join();
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(
                () -> assertThat(vcpu.threads()).as("an exited thread leaves the cgroup").isEmpty());
    }

    @Test
    void writesAndReadsBackEveryResourceFile() {
        Cgroup c = v1.create(parent.child("res"));
        String cpus = CgroupFiles.read(dir("cpuset", parent.path()).resolve("cpuset.cpus")).strip();
        CpuList firstCpu = CpuList.of(CpuList.parse(cpus).toString().isEmpty() ? 0 : Integer.parseInt(cpus.split("[-,]")[0]));
        c.setResources(Resources.builder()
                .cpuMax(new CpuMax(150_000, 50_000))
                .cpuShares(512)
                .cpus(firstCpu)
                .mems(CpuList.of(0))
                .memoryMaxBytes(128L << 20)
                .pidsMax(64)
                .build());
        assertThat(read("cpu", c, "cpu.cfs_quota_us")).isEqualTo("150000");
        assertThat(read("cpu", c, "cpu.cfs_period_us")).isEqualTo("50000");
        assertThat(read("cpu", c, "cpu.shares")).isEqualTo("512");
        assertThat(read("cpuset", c, "cpuset.cpus")).isEqualTo(firstCpu.toString());
        assertThat(read("cpuset", c, "cpuset.mems")).isEqualTo("0");
        assertThat(read("memory", c, "memory.limit_in_bytes")).isEqualTo(Long.toString(128L << 20));
        assertThat(read("pids", c, "pids.max")).isEqualTo("64");

        c.setResources(Resources.builder().cpuMax(CpuMax.unlimited()).memoryMaxBytes(-1).pidsMax(-1)
                .cpus(CpuList.EMPTY).build());
        assertThat(read("cpu", c, "cpu.cfs_quota_us")).isEqualTo("-1");
        assertThat(read("cpu", c, "cpu.cfs_period_us")).isEqualTo("100000");
        assertThat(Long.parseLong(read("memory", c, "memory.limit_in_bytes"))).isGreaterThan(1L << 62);
        assertThat(read("pids", c, "pids.max")).isEqualTo("max");
        assertThat(read("cpuset", c, "cpuset.cpus")).as("empty list inherits the parent's").isEqualTo(cpus);
    }

    @Test
    void childQuotaAboveParentIsEinvalNamingTheFile() {
        Cgroup p = v1.create(parent.child("limited"));
        p.setResources(Resources.builder().cpuMax(new CpuMax(50_000, 100_000)).build());
        Cgroup child = v1.create(parent.child("limited/child"));
        assertThatThrownBy(() -> child.setResources(Resources.builder().cpuMax(new CpuMax(80_000, 100_000)).build()))
                .isInstanceOfSatisfying(CgroupException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EINVAL);
                    assertThat(e.file()).hasFileName("cpu.cfs_quota_us");
                    assertThat(e.value()).isEqualTo("80000");
                });
    }

    @Test
    void cpusetOutsideTheParentIsEaccesAndBeyondTheHostIsErange() {
        Cgroup p = v1.create(parent.child("cs"));
        p.setResources(Resources.builder().cpus(CpuList.of(0)).build());
        Cgroup c = v1.create(parent.child("cs/c"));
        assertThat(read("cpuset", c, "cpuset.cpus")).as("inherited from its parent").isEqualTo("0");
        Prerequisites.require(Runtime.getRuntime().availableProcessors() >= 2, "at least 2 CPUs");
        assertThatThrownBy(() -> c.setResources(Resources.builder().cpus(CpuList.of(1)).build()))
                .isInstanceOfSatisfying(CgroupException.class, e -> {
                    assertThat(e.errno()).as("v1 cpuset answers EACCES for a non-subset").isEqualTo(Errno.EACCES);
                    assertThat(e.getMessage()).contains("cpuset.cpus", "'1'", "not a subset");
                });
        assertThatThrownBy(() -> c.setResources(Resources.builder().cpus(CpuList.of(4000)).build()))
                .isInstanceOfSatisfying(CgroupException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ERANGE);
                    assertThat(e.hint()).contains("beyond");
                });
    }

    @Test
    void cpusetWithoutCpusRefusesTasksWithEnospc() {
        Path bare = dir("cpuset", parent.path()).resolve("bare");
        CgroupFiles.mkdir(bare); // made behind the library's back: no cpus/mems copied
        V1Hierarchy cpuset = host.v1(Set.of("cpuset"));
        Cgroup c = cpuset.load(parent.child("bare"));
        try (Spawned sleep = Spawned.sleeper()) {
            assertThatThrownBy(() -> c.addProcess(sleep.pid()))
                    .isInstanceOfSatisfying(CgroupException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.ENOSPC);
                        assertThat(e.hint()).contains("cpuset.cpus or cpuset.mems");
                    });
        }
    }

    @Test
    void goneThreadIsItsOwnOutcome() throws Exception {
        Cgroup c = v1.create(parent.child("gone"));
        int pid;
        try (Spawned sleep = Spawned.sleeper()) {
            pid = sleep.pid();
        }
        assertThat(c.addThread(pid)).isEqualTo(Placement.GONE);
        assertThat(c.addProcess(pid)).isEqualTo(Placement.GONE);
        assertThatThrownBy(() -> v1.placementOf(pid, pid))
                .isInstanceOfSatisfying(CgroupException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESRCH));
    }

    @Test
    void persistentEinvalIsRetriedThenReported() throws Exception {
        // per-CPU kernel threads (PF_NO_SETAFFINITY) are refused with EINVAL by cgroup.procs every time
        int kthread = -1;
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit)
                        && Files.readString(p.resolve("comm")).strip().equals("ksoftirqd/0")) {
                    kthread = Integer.parseInt(name);
                    break;
                }
            }
        }
        Prerequisites.require(kthread > 0, "a ksoftirqd/0 kernel thread");
        Backoff three = new Backoff(3, Duration.ofMillis(40), Duration.ofMillis(40));
        V1Hierarchy cpu = new V1Hierarchy(Map.of("cpu", host.v1Mounts().get("cpu")), host.procRoot(), three, three);
        Cgroup c = cpu.create(parent.child("einval"));
        int id = kthread;
        long start = System.nanoTime();
        assertThatThrownBy(() -> c.addProcess(id))
                .isInstanceOfSatisfying(CgroupException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("two waits between three tries")
                .isGreaterThanOrEqualTo(Duration.ofMillis(80));
        assertThat(c.processes()).doesNotContain(kthread);
    }

    @Test
    void deleteMovesRemainingTasksToTheParentFirst() {
        Cgroup sandbox = v1.create(parent.child("kata_busy"));
        Cgroup vcpu = sandbox.createThreadedChild("vcpu");
        try (Spawned a = Spawned.sleeper(); Spawned b = Spawned.sleeper()) {
            sandbox.addProcess(a.pid());
            vcpu.addProcess(b.pid());

            DeleteReport report = sandbox.delete();

            assertThat(report.failures()).isEmpty();
            assertThat(report.removed()).containsExactly(vcpu.path(), sandbox.path());
            assertThat(v1.isPlaced(parent.path(), a.pid(), a.pid())).isTrue();
            assertThat(v1.isPlaced(parent.path(), b.pid(), b.pid())).isTrue();
            assertThat(a.alive()).as("delete never kills").isTrue();
        }
    }

    @Test
    void rmdirOfACgroupWithATaskIsEbusy() {
        Cgroup c = v1.create(parent.child("occupied"));
        try (Spawned sleep = Spawned.sleeper()) {
            c.addProcess(sleep.pid());
            assertThat(CgroupFiles.rmdir(dir("cpu", c.path()))).isEqualTo(Errno.EBUSY);
            assertThat(v1.exists(c.path())).isTrue();
        }
    }

    @Test
    void deleteOfAMissingCgroupIsANoOp() {
        DeleteReport report = v1.create(parent.child("twice")).delete();
        assertThat(report.removed()).containsExactly(parent.child("twice"));
        CgroupPath gone = parent.child("twice");
        assertThat(new dev.vmsup.cgroupfs.v1.V1Hierarchy(host.v1Mounts(), host.procRoot()).exists(gone)).isFalse();
        DeleteReport again = v1.create(parent.child("twice")).delete();
        assertThat(again.complete()).isTrue();
    }

    @Test
    void aTreeRemovedMeanwhileByAnotherRemoverIsStillDeletedCleanly() throws Exception {
        RacingRemovers.eachTreeRemovedCleanlyByBoth(v1, parent, 40);
    }

    @Test
    void readsStats() throws Exception {
        Cgroup c = v1.create(parent.child("stats"));
        try (Spawned busy = Spawned.start("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 600")) {
            c.addProcess(busy.pid());
            Thread.sleep(300);
            CgroupStats s = c.stats();
            assertThat(s.cpuUsageUs()).isPositive();
            assertThat(s.cpuThrottledUs()).isNotNull().isGreaterThanOrEqualTo(0);
            assertThat(s.cpuThrottledPeriods()).isNotNull();
            assertThat(s.memoryCurrentBytes()).isNotNull().isGreaterThanOrEqualTo(0);
            assertThat(s.memoryAnonBytes()).isNotNull();
            assertThat(s.memoryFileBytes()).isNotNull();
            assertThat(s.pidsCurrent()).isEqualTo(1);
        }
    }

    @Test
    void badPathsTouchNothing() {
        long before = countDirs();
        assertThatThrownBy(() -> v1.create(CgroupPath.of(parent.path() + "/../escape")))
                .isInstanceOf(InvalidCgroupPathException.class);
        assertThatThrownBy(() -> v1.create(CgroupPath.ROOT)).isInstanceOf(InvalidCgroupPathException.class);
        assertThatThrownBy(() -> v1.create(parent.path().child("cgroup.procs").child("x")))
                .isInstanceOf(InvalidCgroupPathException.class).hasMessageContaining("not a directory");
        assertThat(countDirs()).isEqualTo(before);
    }

    private long countDirs() {
        try (var s = Files.walk(dir("cpu", parent.path()))) {
            return s.filter(Files::isDirectory).count();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private String read(String controller, Cgroup c, String file) {
        return CgroupFiles.read(dir(controller, c.path()).resolve(file)).strip();
    }
}
