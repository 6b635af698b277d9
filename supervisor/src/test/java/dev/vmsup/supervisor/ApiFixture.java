package dev.vmsup.supervisor;

import java.nio.file.Path;
import java.util.Map;

import dev.vmsup.cgroupfs.CgroupPath;

/** A running in-process sandbox (real QEMU, real v1 cgroups) for API tests in other packages. */
public final class ApiFixture implements AutoCloseable {
    private final SandboxFixture fixture;
    private final Supervisor supervisor;

    private ApiFixture(SandboxFixture fixture, Supervisor supervisor) {
        this.fixture = fixture;
        this.supervisor = supervisor;
    }

    public static ApiFixture start(Path tmp, String id) {
        SandboxFixture.requireQemu();
        SandboxFixture f = SandboxFixture.v1(tmp, SandboxFixture.IN_PROCESS_V1);
        try {
            Settings s = f.settings(false);
            s.apiSocket = "none";
            return new ApiFixture(f, Supervisor.start(s.resolve(id), Map.of(), f.host));
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    public Supervisor supervisor() {
        return supervisor;
    }

    public SandboxFixture fixture() {
        return fixture;
    }

    public Path cpuDir(CgroupPath cgroup) {
        return fixture.host.v1Mounts().get("cpu").resolve(cgroup.relative());
    }

    @Override
    public void close() {
        try {
            supervisor.teardown();
        } finally {
            fixture.close();
        }
    }
}
