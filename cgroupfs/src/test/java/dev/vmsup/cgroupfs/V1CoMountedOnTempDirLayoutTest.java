package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.cgroupfs.v1.V1Hierarchy;


/**
 * TEMP-DIR IMITATION of a host that co-mounts {@code cpu,cpuacct} (this machine mounts them separately and
 * a v1 controller can be bound to one hierarchy only, so the real layout can't be made here): the shared
 * mount is written once, not once per controller.
 */
class V1CoMountedOnTempDirLayoutTest {
    @Test
    void coMountedControllersAreWrittenOnce(@TempDir Path root) throws IOException {
        Path comount = Files.createDirectories(root.resolve("cpu,cpuacct"));
        V1Hierarchy v1 = new V1Hierarchy(Map.of("cpu", comount, "cpuacct", comount), Path.of("/proc"));

        Cgroup c = v1.create(CgroupPath.of("/kata_sb"));
        Files.writeString(comount.resolve("kata_sb/cgroup.procs"), "");
        Files.writeString(comount.resolve("kata_sb/cpu.cfs_period_us"), "");
        Files.writeString(comount.resolve("kata_sb/cpu.cfs_quota_us"), "");

        int self = (int) ProcessHandle.current().pid();
        assertThat(c.addProcess(self)).isEqualTo(Placement.MOVED);
        c.setResources(Resources.builder().cpuMax(new CpuMax(200_000, 100_000)).build());

        assertThat(Files.readString(comount.resolve("kata_sb/cgroup.procs"))).isEqualTo(Integer.toString(self));
        assertThat(Files.readString(comount.resolve("kata_sb/cpu.cfs_quota_us"))).isEqualTo("200000");
        assertThat(Files.readString(comount.resolve("kata_sb/cpu.cfs_period_us"))).isEqualTo("100000");
        try (var entries = Files.list(root)) {
            assertThat(entries).containsExactly(comount);
        }
    }
}
