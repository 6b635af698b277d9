package dev.vmsup.cgroupfs;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/**
 * Checks what a real-kernel test needs. Outside CI a missing prerequisite skips the test with its reason;
 * with {@code CI=true} it fails the run, so a CI machine without root or a cgroup mount can't pass silently.
 */
public final class Prerequisites {
    private Prerequisites() {
    }

    public static void require(boolean present, String what) {
        if (present) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("prerequisite missing on this CI machine: " + what);
        }
        Assumptions.abort("prerequisite missing: " + what);
    }

    public static void requireRoot() {
        require("root".equals(System.getProperty("user.name")), "running as root (cgroupfs writes)");
    }

    public static CgroupHost requireCgroupV1(String... controllers) {
        requireRoot();
        CgroupHost host = CgroupHost.detect();
        for (String c : controllers) {
            require(host.v1Mounts().containsKey(c), "cgroup v1 controller '" + c + "' mounted");
        }
        return host;
    }

    public static CgroupHost requireCgroup2() {
        requireRoot();
        CgroupHost host = CgroupHost.detect();
        require(host.unifiedMount() != null && Files.exists(host.unifiedMount().resolve("cgroup.threads")),
                "a cgroup2 mount with threaded mode (cgroup.threads)");
        return host;
    }

    /** The Linux thread id of the calling thread, from {@code /proc/thread-self} ({@code PID/task/TID}). */
    public static int currentTid() {
        try {
            Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            return Integer.parseInt(link.getFileName().toString());
        } catch (Exception e) {
            throw new IllegalStateException("cannot read /proc/thread-self", e);
        }
    }
}
