package dev.vmsup.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.cgroupfs.CgroupFiles;
import dev.vmsup.cgroupfs.CgroupPath;

/**
 * The supervisor on this host's real cgroup v1 hierarchies with a real paused TCG QEMU (1 of 4 CPUs), in both
 * modes. vCPU threads are identified independently of QMP, by their names in /proc.
 */
class SupervisorV1Test {
    /** 0.5 CPU per 100 ms and 0.75 CPU per 200 ms: 1.25 CPUs, merged over the 200 ms period. */
    static final Map<String, ContainerResources> TWO_CONTAINERS = ContainersFile.parse("""
            {"c1": {"cpu": {"quota": 50000, "period": 100000}},
             "c2": {"cpu": {"quota": 150000, "period": 200000}}}
            """);

    /** The same two containers with 128 MiB and 256 MiB memory limits. */
    static final Map<String, ContainerResources> TWO_CONTAINERS_WITH_MEMORY = ContainersFile.parse("""
            {"c1": {"cpu": {"quota": 50000, "period": 100000}, "memory": {"limit": 134217728}},
             "c2": {"cpu": {"quota": 150000, "period": 200000}, "memory": {"limit": 268435456}}}
            """);

    @TempDir
    Path tmp;
    private SandboxFixture f;

    @BeforeEach
    void setUp() {
        SandboxFixture.requireQemu();
        f = SandboxFixture.v1(tmp, SandboxFixture.IN_PROCESS_V1);
    }

    @AfterEach
    void tearDown() {
        if (f != null) {
            f.close();
        }
    }

    private Path cpuFile(CgroupPath cgroup, String name) {
        return f.host.v1Mounts().get("cpu").resolve(cgroup.relative()).resolve(name);
    }

    private String read(CgroupPath cgroup, String name) {
        return CgroupFiles.read(cpuFile(cgroup, name)).strip();
    }

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void placesEveryVcpuThreadAndKeepsItPlacedAcrossResizes(boolean sandboxCgroupOnly) {
        SupervisorConfig cfg = f.settings(sandboxCgroupOnly).resolve("sb-v1");
        Supervisor s = Supervisor.start(cfg, TWO_CONTAINERS, f.host);
        try {
            CgroupLayout l = s.layout();
            if (sandboxCgroupOnly) {
                assertThat(l.qemu()).isEqualTo(l.sandbox());
            } else {
                assertThat(l.qemu()).isEqualTo(f.overheadRoot().child("sb-v1"));
                assertThat(l.supervisor()).isEqualTo(l.qemu());
            }
            f.assertPlacement(s, 1);
            assertThat(read(l.vcpu(), "cpu.cfs_quota_us")).isEqualTo("250000");
            assertThat(read(l.vcpu(), "cpu.cfs_period_us")).isEqualTo("200000");
            assertThat(read(l.sandbox(), "cpu.cfs_quota_us")).as("only vcpu is limited").isEqualTo("-1");

            for (int n : new int[] {3, 4}) {
                CgroupFiles.write(cpuFile(l.vcpu(), "cpu.cfs_quota_us"), "300000");
                assertThat(s.resize(n)).hasSize(n).allMatch(VcpuInfo::placed);
                f.assertPlacement(s, n);
                assertThat(read(l.vcpu(), "cpu.cfs_quota_us")).as("rewritten after the hotplug").isEqualTo("250000");
            }
            assertThat(SandboxFixture.threads(s.qemuPid())).containsValue("CPU 3/TCG");
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
    }

    @Test
    void outOfRangeResizesChangeNothing() {
        try (Supervisor s = Supervisor.start(f.settings(false).resolve("sb-range"), Map.of(), f.host)) {
            assertThatThrownBy(() -> s.resize(0)).isInstanceOf(ConfigException.class).hasMessageContaining("1..4");
            assertThatThrownBy(() -> s.resize(5)).isInstanceOf(ConfigException.class);
            assertThatThrownBy(() -> s.resize(-1)).isInstanceOf(ConfigException.class);
            assertThat(SandboxFixture.vcpuThreads(s.qemuPid())).hasSize(1);
            assertThat(read(s.layout().vcpu(), "cpu.cfs_quota_us")).as("no container limits: unlimited").isEqualTo("-1");
        }
    }

    @Test
    void aSecondSandboxWithTheSameIdIsRefusedAndTheFirstIsUntouched() {
        try (Supervisor first = Supervisor.start(f.settings(false).resolve("twin"), Map.of(), f.host)) {
            Settings again = f.settings(false);
            again.stateDir = tmp.resolve("other").toString();
            assertThatThrownBy(() -> Supervisor.start(again.resolve("twin"), Map.of(), f.host))
                    .isInstanceOf(SupervisorException.class).hasMessageContaining("already exists");
            f.assertPlacement(first, 1);
        }
    }

    @Test
    void autoVcpusHotplugsForTheContainersQuota() {
        Settings settings = f.settings(false);
        settings.autoVcpus = true;
        try (Supervisor s = Supervisor.start(settings.resolve("sb-auto"), TWO_CONTAINERS, f.host)) {
            // default 1 + ceil(1.25) = 3
            f.assertPlacement(s, 3);
        }
    }
}
