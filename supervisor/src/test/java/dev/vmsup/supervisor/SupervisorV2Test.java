package dev.vmsup.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.cgroupfs.CgroupPath;

/**
 * The supervisor's v2 placement on this host's real cgroup2 mount: QEMU's process in the sandbox cgroup, vCPU
 * threads moved into the threaded vcpu child with cgroup.threads, vmsup in the overhead cgroup. That mount has
 * no controllers, so limits are not enforced here (the real v2 kernel suite covers them).
 */
class SupervisorV2Test {
    @TempDir
    Path tmp;
    private SandboxFixture f;

    @BeforeEach
    void setUp() {
        SandboxFixture.requireQemu();
        f = SandboxFixture.v2(tmp);
    }

    @AfterEach
    void tearDown() {
        if (f != null) {
            f.close();
        }
    }

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void vcpuThreadsGoToTheThreadedChildAndQemuToTheSandbox(boolean sandboxCgroupOnly) throws Exception {
        Supervisor s = Supervisor.start(f.settings(sandboxCgroupOnly).resolve("sb-v2"), SupervisorV1Test.TWO_CONTAINERS,
                f.host);
        try {
            CgroupLayout l = s.layout();
            assertThat(l.qemu()).isEqualTo(l.sandbox());
            if (!sandboxCgroupOnly) {
                assertThat(l.supervisor()).isEqualTo(f.overheadRoot().child("sb-v2"));
            }
            Path vcpuDir = f.host.unifiedMount().resolve(l.vcpu().relative());
            assertThat(Files.readString(vcpuDir.resolve("cgroup.type")).strip()).isEqualTo("threaded");
            f.assertPlacement(s, 1);

            s.resize(2);
            f.assertPlacement(s, 2);
            assertThat(Files.readString(vcpuDir.resolve("cgroup.threads")).strip().split("\n")).hasSize(2);
            assertThat(s.resourcesInForce().cpuMax()).as("no cpu controller on this mount").isNull();
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
        Map<String, CgroupPath> after = f.hierarchy.placementOf((int) ProcessHandle.current().pid(),
                (int) ProcessHandle.current().pid());
        assertThat(after).isEqualTo(f.jvmOrigin);
    }
}
