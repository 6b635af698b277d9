package dev.vmsup.supervisor.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.supervisor.SupervisorEvents;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.resources.ContainersFile;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;

/**
 * The supervisor on this host's real cgroup v1 hierarchies with a real paused TCG QEMU (1 of 4 CPUs), in both
 * modes. vCPU threads are identified independently of QMP, by their names in /proc.
 */
class SandboxV1Test {
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

    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.IN_PROCESS_V1).withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        f = fixture;
    }

    private Path cpuFile(CgroupPath cgroup, String name) {
        return f.host.v1Mounts().get("cpu").resolve(cgroup.relative()).resolve(name);
    }

    private String read(CgroupPath cgroup, String name) {
        return CgroupFiles.read(cpuFile(cgroup, name)).strip();
    }

    @Test
    void theWarmUpChangesNothingAndANewVcpuIsBornUnderTheVcpuLimits() {
        Sandbox s = f.start(f.settings(false).maxVcpus(3).resolve("sb-warm"), TWO_CONTAINERS);
        try {
            CgroupLayout l = s.layout();
            int qemu = (int) s.snapshot().qemuPid();
            List<String> commands = new CopyOnWriteArrayList<>();
            List<Duration> windows = new CopyOnWriteArrayList<>();
            List<Duration> placedAfter = new CopyOnWriteArrayList<>();
            Map<String, Map<String, CgroupPath>> atReply = new ConcurrentHashMap<>();
            s.events(new SupervisorEvents() {
                @Override
                public void qmpRoundTrip(String command, Duration took) {
                    commands.add(command.split(" ")[0]);
                    if (command.startsWith("device_add")) { // QEMU has answered; vmsup has placed nothing yet
                        SandboxFixture.threads(qemu).forEach((tid, name) -> atReply.put(tid == qemu ? "main" : name,
                                f.hierarchy.placementOf(qemu, tid)));
                    }
                }

                @Override
                public void vcpuPlaced(Duration unconstrained, Duration placed) {
                    windows.add(unconstrained);
                    placedAfter.add(placed);
                }
            });
            List<VcpuInfo> before = s.snapshot().vcpus();
            s.warmUp();
            assertThat(s.snapshot().vcpus()).isEqualTo(before);
            f.assertPlacement(s, 1);
            assertThat(read(l.vcpu(), "cpu.cfs_quota_us")).isEqualTo("250000");
            assertThat(read(l.vcpu(), "cpu.cfs_period_us")).isEqualTo("200000");
            assertThat(commands).as("the warm-up reads QEMU's free slots (the CPUs are known), and changes nothing")
                    .containsExactly("query-hotpluggable-cpus");

            commands.clear();
            assertThat(s.resize(2)).hasSize(2);
            assertThat(commands).as("a hotplug after the warm-up: device_add, nothing else (the new CPU is known from"
                    + " its vCPU thread)").containsExactly("device_add");
            assertThat(atReply.get("CPU 1/TCG")).as("the new vCPU when device_add answered: %s", atReply)
                    .containsEntry("cpu", l.vcpu()).containsEntry("cpuset", l.vcpu());
            assertThat(atReply.get("main")).as("QEMU's main thread, lent for CPU time only")
                    .containsEntry("cpu", l.vcpu()).containsEntry("pids", l.qemu());
            assertThat(windows).as("born under the vCPUs' limits: never ran outside them").containsExactly(Duration.ZERO);
            assertThat(placedAfter).singleElement().satisfies(d -> assertThat(d).isPositive());
            f.assertPlacement(s, 2); // the main thread back with QEMU's other threads, both vCPUs in vcpu
            Map<Integer, String> names = SandboxFixture.threads(s.snapshot().qemuPid());
            assertThat(s.snapshot().vcpus()).as("the CPU the hotplug knew without asking QEMU: its index is its thread's")
                    .allSatisfy(v -> assertThat(names.get(v.threadId())).isEqualTo("CPU " + v.index() + "/TCG"))
                    .extracting(VcpuInfo::qomPath).endsWith("/machine/peripheral/cpu-1");
        } finally {
            s.teardown();
        }
    }

    @Test
    void aContainersCpusetIsWrittenWhenItChangesKeptByResizesAndLeavesWithTheContainer() {
        Sandbox s = f.start(f.settings(false).maxVcpus(3).resolve("sb-cpuset"), TWO_CONTAINERS);
        try {
            Path cpus = f.host.v1Mounts().get("cpuset").resolve(s.layout().vcpu().relative()).resolve("cpuset.cpus");
            String inherited = CgroupFiles.read(cpus).strip();
            assertThat(inherited).isNotEmpty();
            s.putContainer("pinned", ContainersFile.parseResources("{\"cpu\": {\"cpus\": \"0\"}}"));
            assertThat(CgroupFiles.read(cpus).strip()).isEqualTo("0");
            assertThat(s.resize(2)).hasSize(2).allMatch(VcpuInfo::placed);
            f.assertPlacement(s, 2);
            assertThat(CgroupFiles.read(cpus).strip()).as("a resize keeps the merged cpuset").isEqualTo("0");
            assertThat(s.removeContainer("pinned")).isTrue();
            assertThat(CgroupFiles.read(cpus).strip()).as("no container pins CPUs: inherited again").isEqualTo(inherited);
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
    }

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void placesEveryVcpuThreadAndKeepsItPlacedAcrossResizes(boolean sandboxCgroupOnly) {
        SupervisorConfig cfg = f.settings(sandboxCgroupOnly).resolve("sb-v1");
        Sandbox s = f.start(cfg, TWO_CONTAINERS);
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
            assertThat(SandboxFixture.threads(s.snapshot().qemuPid())).containsValue("CPU 3/TCG");
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
    }

    @Test
    void outOfRangeResizesChangeNothing() {
        try (Sandbox s = f.start(f.settings(false).resolve("sb-range"), Map.of())) {
            assertThatThrownBy(() -> s.resize(0)).isInstanceOf(ConfigException.class).hasMessageContaining("1..4");
            assertThatThrownBy(() -> s.resize(5)).isInstanceOf(ConfigException.class);
            assertThatThrownBy(() -> s.resize(-1)).isInstanceOf(ConfigException.class);
            assertThat(SandboxFixture.vcpuThreads(s.snapshot().qemuPid())).hasSize(1);
            assertThat(read(s.layout().vcpu(), "cpu.cfs_quota_us")).as("no container limits: unlimited").isEqualTo("-1");
        }
    }

    @Test
    void aSecondSandboxWithTheSameIdIsRefusedAndTheFirstIsUntouched() {
        try (Sandbox first = f.start(f.settings(false).resolve("twin"), Map.of())) {
            Settings again = f.settings(false);
            again.stateDir(tmp.resolve("other").toString());
            assertThatThrownBy(() -> f.start(again.resolve("twin"), Map.of()))
                    .isInstanceOf(SupervisorException.class).hasMessageContaining("already exists");
            f.assertPlacement(first, 1);
        }
    }

    @Test
    void autoVcpusHotplugsForTheContainersQuota() {
        Settings settings = f.settings(false);
        settings.autoVcpus(true);
        try (Sandbox s = f.start(settings.resolve("sb-auto"), TWO_CONTAINERS)) {
            // default 1 + ceil(1.25) = 3
            f.assertPlacement(s, 3);
        }
    }
}
