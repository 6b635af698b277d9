package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.cgroupfs.internal.MountEntry;
import dev.vmsup.cgroupfs.v1.V1Hierarchy;


class CgroupHostTest {
    private static final Path ROOT = Path.of("/");

    /** This machine's layout: cpu and cpuacct mounted separately, cgroup2 without controllers. */
    static final String HYBRID_SEPARATE = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;

    /** A typical systemd v1 host: cpu,cpuacct co-mounted (with cpu and cpuacct symlinks beside it). */
    static final String V1_COMOUNTED = """
            25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
            26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid shared:10 - cgroup cgroup rw,xattr,name=systemd
            29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct
            30 25 0:27 / /sys/fs/cgroup/cpuset rw,nosuid shared:13 - cgroup cgroup rw,cpuset
            31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory
            32 25 0:29 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:15 - cgroup cgroup rw,net_cls,net_prio
            """;

    static final String V2_ONLY = """
            22 1 0:5 / /proc rw,nosuid - proc proc rw
            27 23 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """;

    @Test
    void detectsHybridWithSeparateCpuAndCpuacct() {
        CgroupHost host = CgroupHost.fromMounts(MountEntry.parseAll(HYBRID_SEPARATE), ROOT, ROOT.resolve("proc"));
        assertThat(host.mode()).isEqualTo(CgroupHost.Mode.HYBRID);
        assertThat(host.v1Mounts()).containsEntry("cpu", Path.of("/sys/fs/cgroup/cpu"))
                .containsEntry("cpuacct", Path.of("/sys/fs/cgroup/cpuacct"))
                .doesNotContainKey("name=systemd");
        assertThat(host.unifiedMount()).isEqualTo(Path.of("/sys/fs/cgroup/unified"));
        assertThat(host.preferred()).isInstanceOf(V1Hierarchy.class);
    }

    @Test
    void coMountedControllersShareOneDirectory() {
        CgroupHost host = CgroupHost.fromMounts(MountEntry.parseAll(V1_COMOUNTED), ROOT, ROOT.resolve("proc"));
        assertThat(host.mode()).isEqualTo(CgroupHost.Mode.V1);
        assertThat(host.v1Mounts().get("cpu")).isEqualTo(Path.of("/sys/fs/cgroup/cpu,cpuacct"))
                .isEqualTo(host.v1Mounts().get("cpuacct"));
        assertThat(host.v1Mounts()).containsKeys("net_cls", "net_prio", "cpuset", "memory");
        assertThat(host.unifiedMount()).isNull();
        assertThat(host.v1().controllers()).containsExactlyInAnyOrder("cpu", "cpuacct", "cpuset", "memory");
    }

    @Test
    void detectsPureV2() {
        CgroupHost host = CgroupHost.fromMounts(MountEntry.parseAll(V2_ONLY), ROOT, ROOT.resolve("proc"));
        assertThat(host.mode()).isEqualTo(CgroupHost.Mode.V2);
        assertThat(host.v1Mounts()).isEmpty();
        assertThat(host.unifiedMount()).isEqualTo(Path.of("/sys/fs/cgroup"));
        assertThatThrownBy(host::v1).isInstanceOf(CgroupException.class).hasMessageContaining("EOPNOTSUPP");
    }

    @Test
    void noCgroupMountIsAnError() {
        assertThatThrownBy(() -> CgroupHost.fromMounts(MountEntry.parseAll("22 1 0:5 / /proc rw - proc proc rw\n"),
                ROOT, ROOT.resolve("proc"))).isInstanceOf(CgroupException.class).hasMessageContaining("no cgroup");
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        List<MountEntry> m = MountEntry.parseAll("40 31 0:37 / /mnt/my\\040cgroups rw - cgroup cgroup rw,cpu\n");
        assertThat(m.get(0).mountPoint()).isEqualTo("/mnt/my cgroups");
    }

    @Test
    void filesystemRootIsInjectable(@TempDir Path fsRoot) throws IOException {
        Files.createDirectories(fsRoot.resolve("proc/self"));
        Files.writeString(fsRoot.resolve("proc/self/mountinfo"), V1_COMOUNTED);
        CgroupHost host = CgroupHost.detect(fsRoot);
        assertThat(host.v1Mounts().get("cpu")).isEqualTo(fsRoot.resolve("sys/fs/cgroup/cpu,cpuacct"));
        assertThat(host.procRoot()).isEqualTo(fsRoot.resolve("proc"));
    }

    @Test
    void detectsThisMachine() {
        CgroupHost host = CgroupHost.detect();
        assertThat(host.mode()).isNotNull();
        Prerequisites.require(host.mode() == CgroupHost.Mode.HYBRID,
                "this machine's hybrid layout (v1 controllers + cgroup2 at /sys/fs/cgroup/unified)");
        assertThat(host.v1Mounts()).containsKeys("cpu", "cpuacct", "cpuset", "memory");
        assertThat(host.unifiedMount()).isEqualTo(Path.of("/sys/fs/cgroup/unified"));
        assertThat(host.unifiedControllers()).doesNotContain("cpu", "memory");
    }
}
