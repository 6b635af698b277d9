package dev.vmsup.supervisor.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.config.Accel;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;

/**
 * The supervisor's v2 placement on this host's real cgroup2 mount: QEMU's process in the sandbox cgroup, vCPU
 * threads moved into the threaded vcpu child with cgroup.threads, vmsup in the overhead cgroup. That mount has
 * no controllers, so limits are not enforced here (the real v2 kernel suite covers them).
 */
class SandboxV2Test {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v2().withQemu();
    private SandboxFixture f;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        f = fixture;
    }

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void vcpuThreadsGoToTheThreadedChildAndQemuToTheSandbox(boolean sandboxCgroupOnly) throws Exception {
        Sandbox s = f.start(f.settings(sandboxCgroupOnly).resolve("sb-v2"), SandboxV1Test.TWO_CONTAINERS);
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
            assertThat(s.snapshot().resourcesInForce().cpuMax()).as("no cpu controller on this mount").isNull();
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
        Map<String, CgroupPath> after = f.hierarchy.placementOf((int) ProcessHandle.current().pid(),
                (int) ProcessHandle.current().pid());
        assertThat(after).isEqualTo(f.jvmOrigin);
    }

    /**
     * On v2 a kernel thread is a process of its own: kvm-pit goes through cgroup.procs into QEMU's cgroup, which on
     * v2 is the sandbox cgroup (a domain, the threaded domain of the vcpu child) in both modes.
     */
    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void kvmPitGoesToQemusDomainCgroup(boolean sandboxCgroupOnly) throws Exception {
        SandboxKvmTest.requireKvm();
        Sandbox s = f.start(f.settings(sandboxCgroupOnly).accel(Accel.KVM).resolve("kvm-v2"), Map.of());
        int pit;
        try {
            CgroupLayout l = s.layout();
            long qemu = s.snapshot().qemuPid();
            f.assertPlacement(s, 1);
            List<Integer> pits = SandboxKvmTest.processesNamed("kvm-pit/" + qemu);
            assertThat(pits).hasSize(1);
            pit = pits.get(0);
            assertThat(f.hierarchy.placementOf(pit, pit)).as("kvm-pit").containsValue(l.sandbox());
            s.resize(2);
            f.assertPlacement(s, 2);
            assertThat(f.hierarchy.placementOf(pit, pit)).as("kvm-pit after a hotplug").containsValue(l.sandbox());
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
    }
}
