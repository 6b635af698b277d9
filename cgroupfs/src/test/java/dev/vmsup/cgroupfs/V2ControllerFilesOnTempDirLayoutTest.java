package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.cgroupfs.v2.V2Hierarchy;

/**
 * TEMP-DIR IMITATION, not a kernel: the v2 controller files ({@code cpu.max}, {@code cpu.weight},
 * {@code cpuset.*}, {@code memory.max}, {@code pids.max}, stats) cannot exist on this host's controller-less
 * cgroup2 mount, so the writer and readers are checked against a directory laid out like a v2 cgroup.
 * This proves formats and the order of writes only; the kernel's acceptance is tested in a real v2 guest.
 */
class V2ControllerFilesOnTempDirLayoutTest {
    @TempDir
    Path mount;
    private V2Hierarchy v2;

    private static void layout(Path dir, String controllers) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> files = Map.ofEntries(
                Map.entry("cgroup.controllers", controllers + "\n"),
                Map.entry("cgroup.subtree_control", "\n"),
                Map.entry("cgroup.type", "domain\n"),
                Map.entry("cgroup.procs", ""),
                Map.entry("cgroup.threads", ""),
                Map.entry("cpu.max", "max 100000\n"),
                Map.entry("cpu.weight", "100\n"),
                Map.entry("cpuset.cpus", "\n"),
                Map.entry("cpuset.mems", "\n"),
                Map.entry("memory.max", "max\n"),
                Map.entry("pids.max", "max\n"),
                Map.entry("cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\n"
                        + "nr_throttled 3\nthrottled_usec 2500\n"),
                Map.entry("memory.current", "4194304\n"),
                Map.entry("memory.stat", "anon 1048576\nfile 2097152\n"),
                Map.entry("pids.current", "7\n"));
        for (Map.Entry<String, String> e : files.entrySet()) {
            Files.writeString(dir.resolve(e.getKey()), e.getValue());
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        layout(mount, "cpuset cpu io memory hugetlb pids");
        layout(mount.resolve("pod"), "cpuset cpu memory pids");
        v2 = new V2Hierarchy(mount, Path.of("/proc"));
    }

    private String read(String rel) {
        return CgroupFiles.read(mount.resolve(rel)).strip();
    }

    @Test
    void writesEveryControllerFileInV2Syntax() {
        Cgroup pod = v2.load(CgroupPath.of("/pod"));
        pod.setResources(Resources.builder()
                .cpuMax(new CpuMax(150_000, 50_000))
                .cpuShares(1024)
                .cpus(CpuList.parse("0-3,7"))
                .mems(CpuList.of(0))
                .memoryMaxBytes(512L << 20)
                .pidsMax(100)
                .build());
        assertThat(read("pod/cpu.max")).isEqualTo("150000 50000");
        assertThat(read("pod/cpu.weight")).as("shares 1024 -> weight 39").isEqualTo("39");
        assertThat(read("pod/cpuset.cpus")).isEqualTo("0-3,7");
        assertThat(read("pod/cpuset.mems")).isEqualTo("0");
        assertThat(read("pod/memory.max")).isEqualTo(Long.toString(512L << 20));
        assertThat(read("pod/pids.max")).isEqualTo("100");

        pod.setResources(Resources.builder().cpuMax(CpuMax.unlimited()).memoryMaxBytes(-1).pidsMax(-1).build());
        assertThat(read("pod/cpu.max")).isEqualTo("max 100000");
        assertThat(read("pod/memory.max")).isEqualTo("max");
        assertThat(read("pod/pids.max")).isEqualTo("max");
    }

    @Test
    void createEnablesWantedControllersTopDownOnlyWhereMissing() {
        v2.create(CgroupPath.of("/pod/kata_sb"));
        assertThat(read("cgroup.subtree_control")).isEqualTo("+cpu +cpuset +memory +pids");
        assertThat(read("pod/cgroup.subtree_control")).isEqualTo("+cpu +cpuset +memory +pids");
        assertThat(mount.resolve("pod/kata_sb")).isDirectory();
    }

    @Test
    void threadedChildIsMadeThreadedThenThreadedControllersEnabled() throws IOException {
        Files.writeString(mount.resolve("cgroup.subtree_control"), "cpu cpuset memory pids\n");
        Cgroup pod = v2.load(CgroupPath.of("/pod"));
        // in a real hierarchy the kernel makes these files; here the layout must exist before the writes
        Path vcpu = mount.resolve("pod/vcpu");
        layout(vcpu, "cpuset cpu pids");

        Cgroup child = pod.createThreadedChild("vcpu");

        assertThat(read("pod/vcpu/cgroup.type")).isEqualTo("threaded");
        assertThat(read("pod/cgroup.subtree_control")).as("only threaded controllers, only in the parent")
                .isEqualTo("+cpu +cpuset");
        assertThat(child.path()).isEqualTo(CgroupPath.of("/pod/vcpu"));
    }

    @Test
    void parsesV2Stats() {
        CgroupStats s = v2.load(CgroupPath.of("/pod")).stats();
        assertThat(s).isEqualTo(new CgroupStats(1500L, 2500L, 3L, 4194304L, 1048576L, 7L));
    }

    @Test
    void deleteReportsWhatItCouldNotRemoveAndNeverGoesAbove() {
        // a plain directory with files in it refuses rmdir (ENOTEMPTY): the report must name it
        DeleteReport report = v2.load(CgroupPath.of("/pod")).delete();
        assertThat(report.complete()).isFalse();
        assertThat(report.failures()).singleElement().satisfies(f -> {
            assertThat(f.path()).isEqualTo(CgroupPath.of("/pod"));
            assertThat(f.cause().errno()).isEqualTo(Errno.ENOTEMPTY);
            assertThat(f.cause().file()).isEqualTo(mount.resolve("pod"));
        });
        assertThatThrownBy(report::orThrow).isInstanceOf(CgroupException.class).hasMessageContaining("ENOTEMPTY");
        assertThat(mount.resolve("pod")).isDirectory();
        assertThat(mount.resolve("cgroup.procs")).exists();
    }

    @Test
    void aSymlinkedCgroupOutsideTheMountIsRefused(@TempDir Path outside) throws IOException {
        Files.createSymbolicLink(mount.resolve("pod/link"), outside);
        assertThatThrownBy(() -> v2.create(CgroupPath.of("/pod/link/x")))
                .isInstanceOf(InvalidCgroupPathException.class);
        assertThat(outside.resolve("x")).doesNotExist();
    }
}
