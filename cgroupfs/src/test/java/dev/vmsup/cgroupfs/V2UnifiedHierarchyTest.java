package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.v2.V2Hierarchy;


/**
 * cgroupfs on this host's real cgroup2 mount ({@code /sys/fs/cgroup/unified}): no controllers are bound
 * there, but threaded mode, {@code cgroup.procs}/{@code cgroup.threads} moves and the kernel's domain rules
 * are the real thing.
 */
class V2UnifiedHierarchyTest {
    private V2Hierarchy v2;
    private TestParent parent;

    @BeforeEach
    void setUp() {
        CgroupHost host = Prerequisites.requireCgroup2();
        v2 = host.v2();
        parent = TestParent.create(v2);
    }

    @AfterEach
    void tearDown() {
        if (parent != null) {
            parent.close();
        }
    }

    private Path dir(CgroupPath p) {
        return Path.of("/sys/fs/cgroup/unified").resolve(p.relative());
    }

    private String read(CgroupPath p, String file) {
        return CgroupFiles.read(dir(p).resolve(file)).strip();
    }

    @Test
    void aTreeRemovedMeanwhileByAnotherRemoverIsStillDeletedCleanly() throws Exception {
        RacingRemovers.eachTreeRemovedCleanlyByBoth(v2, parent, 40);
    }

    @Test
    void createLoadAndDeleteATree() {
        Cgroup deep = v2.create(parent.child("a/b"));
        assertThat(deep.created()).isTrue();
        assertThat(v2.create(parent.child("a/b")).created()).isFalse();
        assertThat(v2.load(parent.child("a")).delete().removed()).containsExactly(parent.child("a/b"), parent.child("a"));
        assertThat(v2.exists(parent.path())).isTrue();
        assertThatThrownBy(() -> v2.load(parent.child("a")))
                .isInstanceOfSatisfying(CgroupException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void threadedVcpuChildTakesOneThreadWhileTheProcessStaysInTheDomain() {
        Cgroup sandbox = v2.create(parent.child("kata_sb"));
        Cgroup vcpu = sandbox.createThreadedChild("vcpu");
        assertThat(read(vcpu.path(), "cgroup.type")).isEqualTo("threaded");
        assertThat(read(sandbox.path(), "cgroup.type")).isEqualTo("domain threaded");

        try (Spawned child = Spawned.threadedJava(2)) {
            List<Integer> tids = child.readTids(2);
            int pid = child.pid();
            assertThat(sandbox.addProcess(pid)).isEqualTo(Placement.MOVED);
            assertThat(sandbox.processes()).containsExactly(pid);

            assertThat(vcpu.addThread(tids.get(0))).isEqualTo(Placement.MOVED);

            assertThat(vcpu.threads()).containsExactly(tids.get(0));
            assertThat(v2.placementOf(pid, tids.get(0))).containsEntry("unified", vcpu.path());
            assertThat(v2.isPlaced(sandbox.path(), pid, pid)).as("main thread stays").isTrue();
            assertThat(v2.isPlaced(sandbox.path(), pid, tids.get(1))).as("other thread stays").isTrue();
            assertThat(sandbox.threads()).contains(pid, tids.get(1)).doesNotContain(tids.get(0));

            DeleteReport report = sandbox.delete();
            assertThat(report.failures()).isEmpty();
            assertThat(report.removed()).containsExactly(vcpu.path(), sandbox.path());
            assertThat(v2.isPlaced(parent.path(), pid, tids.get(0))).as("thread went to the parent with its process")
                    .isTrue();
            assertThat(child.alive()).isTrue();
        }
    }

    @Test
    void aThreadCannotMoveIntoAnotherThreadedDomain() {
        Cgroup home = v2.create(parent.child("kata_one"));
        Cgroup foreignVcpu = v2.create(parent.child("kata_two")).createThreadedChild("vcpu");
        try (Spawned child = Spawned.threadedJava(1)) {
            int tid = child.readTids(1).get(0);
            home.addProcess(child.pid());
            assertThatThrownBy(() -> foreignVcpu.addThread(tid))
                    .isInstanceOfSatisfying(CgroupException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP);
                        assertThat(e.file()).hasFileName("cgroup.threads");
                        assertThat(e.value()).isEqualTo(Integer.toString(tid));
                        assertThat(e.hint()).contains("another threaded domain");
                    });
            assertThat(v2.isPlaced(home.path(), child.pid(), tid)).as("refused move changed nothing").isTrue();
        }
    }

    @Test
    void aThreadedCgroupListsThreadsButNotProcesses() {
        Cgroup sandbox = v2.create(parent.child("kata_sb"));
        Cgroup vcpu = sandbox.createThreadedChild("vcpu");
        try (Spawned child = Spawned.threadedJava(1)) {
            int tid = child.readTids(1).get(0);
            sandbox.addProcess(child.pid());
            vcpu.addThread(tid);
            assertThat(vcpu.threads()).containsExactly(tid);
            assertThatThrownBy(vcpu::processes)
                    .isInstanceOfSatisfying(CgroupException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP));
        }
    }

    @Test
    void goneThreadIsItsOwnOutcome() {
        Cgroup sandbox = v2.create(parent.child("kata_sb"));
        int pid;
        try (Spawned sleep = Spawned.sleeper()) {
            pid = sleep.pid();
        }
        assertThat(sandbox.addProcess(pid)).isEqualTo(Placement.GONE);
    }

    @Test
    void controllerFilesAbsentOnThisMountGiveAClearError() {
        Prerequisites.require(!CgroupHost.detect().unifiedControllers().contains("cpu"),
                "a cgroup2 mount without the cpu controller (this machine's hybrid layout)");
        Cgroup sandbox = v2.create(parent.child("kata_sb"));
        assertThatThrownBy(() -> sandbox.setResources(Resources.builder().cpuMax(new CpuMax(50_000, 100_000)).build()))
                .isInstanceOfSatisfying(CgroupException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ENOENT);
                    assertThat(e.file()).hasFileName("cpu.max");
                    assertThat(e.hint()).contains("'cpu' is not enabled");
                });
    }

    @Test
    void readsCoreCpuStats() throws Exception {
        Cgroup c = v2.create(parent.child("stats"));
        try (Spawned busy = Spawned.start("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 600")) {
            c.addProcess(busy.pid());
            Thread.sleep(300);
            CgroupStats s = c.stats();
            assertThat(s.cpuUsageUs()).isPositive();
            assertThat(s.memoryCurrentBytes()).as("no memory controller here").isNull();
        }
    }
}
