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

import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.v2.V2Hierarchy;


/**
 * TEMP-DIR IMITATION, not a kernel, kept only for pure logic: parsing of v2 stat files, the delete report when an
 * rmdir fails, and path containment. Everything the kernel decides (controller files, enabling order, refusals)
 * is tested on a real v2 kernel by {@link V2KernelTest} through scripts/test-v2-guest.
 */
class V2ParsingAndReportsOnTempDirLayoutTest {
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
    void parsesV2Stats() {
        CgroupStats s = v2.load(CgroupPath.of("/pod")).stats();
        assertThat(s).isEqualTo(new CgroupStats(1500L, 2500L, 3L, 4194304L, 1048576L, 2097152L, 7L));
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
