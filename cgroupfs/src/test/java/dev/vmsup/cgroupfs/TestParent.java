package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A unique {@code /vmsup-test-<random>} cgroup that a test works under, removed on close even when the
 * test failed; close asserts that nothing of it is left.
 */
public final class TestParent implements AutoCloseable {
    private final Hierarchy hierarchy;
    private final Cgroup cgroup;

    private TestParent(Hierarchy hierarchy, Cgroup cgroup) {
        this.hierarchy = hierarchy;
        this.cgroup = cgroup;
    }

    public static TestParent create(Hierarchy hierarchy) {
        String name = "vmsup-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        CgroupPath path = CgroupPath.ROOT.child(name);
        return new TestParent(hierarchy, hierarchy.create(path));
    }

    public Cgroup cgroup() {
        return cgroup;
    }

    public CgroupPath path() {
        return cgroup.path();
    }

    public CgroupPath child(String relative) {
        CgroupPath p = cgroup.path();
        for (String c : relative.split("/")) {
            p = p.child(c);
        }
        return p;
    }

    @Override
    public void close() {
        DeleteReport report = cgroup.delete();
        assertThat(report.failures()).as("test cgroups left behind").isEmpty();
        assertThat(hierarchy.exists(cgroup.path())).isFalse();
    }
}
