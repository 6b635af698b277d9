package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.v2.V2Hierarchy;


/**
 * cgroupfs on a real cgroup v2 kernel with controllers (a guest booted with cgroup_no_v1=all; run by
 * scripts/test-v2-guest): controller files, enabling order, stats and the kernel's refusals, for real.
 */
@Tag("v2-kernel")
class V2KernelTest {
    private CgroupHost host;
    private V2Hierarchy v2;
    private TestParent parent;

    @BeforeEach
    void setUp() {
        Prerequisites.requireRoot();
        host = CgroupHost.detect();
        Prerequisites.require(host.mode() == CgroupHost.Mode.V2 && host.unifiedControllers().contains("cpu")
                && host.unifiedControllers().contains("memory"), "a pure cgroup v2 host with cpu and memory controllers");
        v2 = host.v2();
        parent = TestParent.create(v2);
    }

    @AfterEach
    void tearDown() {
        if (parent != null) {
            parent.close();
        }
    }

    private String read(CgroupPath p, String file) {
        return CgroupFiles.read(host.unifiedMount().resolve(p.relative()).resolve(file)).strip();
    }

    @Test
    void createEnablesControllersTopDownSoTheNewCgroupHasTheirFiles() {
        Cgroup c = v2.create(parent.child("pod/kata_sb"));
        assertThat(read(CgroupPath.ROOT, "cgroup.subtree_control")).contains("cpu", "memory", "pids", "cpuset");
        assertThat(read(parent.path(), "cgroup.subtree_control")).contains("cpu", "memory", "pids", "cpuset");
        assertThat(c.controllers()).contains("cpu", "memory", "pids", "cpuset");
        assertThat(v2.create(parent.child("pod/kata_sb")).created()).isFalse();
    }

    @Test
    void writesEveryControllerFileAndTheKernelKeepsIt() {
        Cgroup c = v2.create(parent.child("res"));
        c.setResources(Resources.builder().cpuMax(new CpuMax(150_000, 50_000)).cpuShares(1024).cpus(CpuList.of(0))
                .mems(CpuList.of(0)).memoryMaxBytes(256L << 20).pidsMax(64).build());
        assertThat(read(c.path(), "cpu.max")).isEqualTo("150000 50000");
        assertThat(read(c.path(), "cpu.weight")).as("1024 shares, the default, is the default weight").isEqualTo("100");
        assertThat(read(c.path(), "cpuset.cpus")).isEqualTo("0");
        assertThat(read(c.path(), "cpuset.mems")).isEqualTo("0");
        assertThat(read(c.path(), "memory.max")).isEqualTo(Long.toString(256L << 20));
        assertThat(read(c.path(), "pids.max")).isEqualTo("64");
        c.setResources(Resources.builder().cpuMax(CpuMax.unlimited()).memoryMaxBytes(-1).pidsMax(-1).build());
        assertThat(read(c.path(), "cpu.max")).isEqualTo("max 100000");
        assertThat(read(c.path(), "memory.max")).isEqualTo("max");
        assertThat(read(c.path(), "pids.max")).isEqualTo("max");
    }

    @Test
    void threadedVcpuChildGetsThreadedControllersAndTakesOneThread() {
        Cgroup sandbox = v2.create(parent.child("kata_sb"));
        Cgroup vcpu = sandbox.createThreadedChild("vcpu");
        assertThat(read(vcpu.path(), "cgroup.type")).isEqualTo("threaded");
        assertThat(read(sandbox.path(), "cgroup.type")).isEqualTo("domain threaded");
        assertThat(read(sandbox.path(), "cgroup.subtree_control")).contains("cpu", "cpuset").doesNotContain("memory");
        assertThat(vcpu.controllers()).contains("cpu", "cpuset");
        try (Spawned child = Spawned.threadedJava(2)) {
            List<Integer> tids = child.readTids(2);
            sandbox.addProcess(child.pid());
            assertThat(vcpu.addThread(tids.get(0))).isEqualTo(Placement.MOVED);
            vcpu.setResources(Resources.builder().cpuMax(new CpuMax(50_000, 100_000)).build());
            assertThat(read(vcpu.path(), "cpu.max")).isEqualTo("50000 100000");
            assertThat(v2.isPlaced(vcpu.path(), child.pid(), tids.get(0))).isTrue();
            assertThat(v2.isPlaced(sandbox.path(), child.pid(), child.pid())).isTrue();
            assertThat(sandbox.delete().failures()).isEmpty();
        }
    }

    @Test
    void refusesAThreadFromAnotherDomain() {
        Cgroup home = v2.create(parent.child("one"));
        Cgroup foreign = v2.create(parent.child("two")).createThreadedChild("vcpu");
        try (Spawned child = Spawned.threadedJava(1)) {
            int tid = child.readTids(1).get(0);
            home.addProcess(child.pid());
            assertThatThrownBy(() -> foreign.addThread(tid)).isInstanceOfSatisfying(CgroupException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP));
        }
    }

    @Test
    void refusesDomainControllersBelowACgroupWithProcesses() {
        Cgroup busy = v2.create(parent.child("busy"));
        try (Spawned sleep = Spawned.sleeper()) {
            busy.addProcess(sleep.pid());
            assertThatThrownBy(() -> v2.create(parent.child("busy/child"))).isInstanceOfSatisfying(CgroupException.class,
                    e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EBUSY);
                        assertThat(e.getMessage()).contains("no internal processes", parent.child("busy").toString());
                    });
            Cgroup leaf = v2.load(parent.child("busy"));
            assertThatThrownBy(() -> parentWithChildren().addProcess(sleep.pid()))
                    .isInstanceOfSatisfying(CgroupException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EBUSY);
                        assertThat(e.hint()).contains("no internal processes");
                    });
            assertThat(leaf.processes()).containsExactly(sleep.pid());
        }
    }

    /** The test parent itself has controllers enabled for its children, so it cannot take processes. */
    private Cgroup parentWithChildren() {
        return parent.cgroup();
    }

    @Test
    void readsRealStats() throws Exception {
        Cgroup c = v2.create(parent.child("stats"));
        try (Spawned busy = Spawned.start("sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; exec sleep 600")) {
            c.addProcess(busy.pid());
            Thread.sleep(300);
            CgroupStats s = c.stats();
            assertThat(s.cpuUsageUs()).isPositive();
            assertThat(s.cpuThrottledUs()).isNotNull();
            assertThat(s.memoryCurrentBytes()).isPositive();
            assertThat(s.memoryAnonBytes()).isNotNull();
            assertThat(s.memoryFileBytes()).isNotNull();
            assertThat(s.pidsCurrent()).isEqualTo(1);
        }
    }

    @Test
    void detectsThePureV2Host() {
        assertThat(host.v1Mounts()).isEmpty();
        assertThat(host.unifiedMount()).isEqualTo(Path.of("/sys/fs/cgroup"));
        assertThat(host.preferred()).isInstanceOf(V2Hierarchy.class);
    }
}
