package dev.vmsup.supervisor.cgroups;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.cgroupfs.Prerequisites;
import dev.vmsup.supervisor.SupervisorEvents;
import dev.vmsup.supervisor.sandbox.SandboxKvmTest;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.vm.KernelThread;

/**
 * A kernel thread the kernel refuses to move costs a warning and a metric, never an exception: proven with a
 * per-CPU kernel thread (bound to its CPU, so every cgroup write of its pid is EINVAL) standing in for kvm-pit.
 */
class ThreadPlacementTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.IN_PROCESS_V1);

    @Test
    void aKernelThreadTheKernelRefusesIsReportedNotThrown(SandboxFixture f) throws Exception {
        List<Integer> bound = SandboxKvmTest.processesNamed("migration/0");
        Prerequisites.require(bound.size() == 1, "a per-CPU kernel thread migration/0");
        CgroupLayout layout = CgroupLayout.of(f.settings(false).resolve("kt"), CgroupVersion.V1);
        SandboxCgroups.check(f.hierarchy, layout);
        SandboxCgroups cgroups = SandboxCgroups.create(f.hierarchy, layout, (int) ProcessHandle.current().pid());
        try {
            AtomicInteger refused = new AtomicInteger();
            ThreadPlacement placement = new ThreadPlacement(cgroups);
            placement.events(new SupervisorEvents() {
                @Override
                public void kernelThreadUnplaced() {
                    refused.incrementAndGet();
                }
            });
            List<KernelThreadInfo> out = placement.reconcileKernelThreads(List.of(new KernelThread(bound.get(0),
                    "kvm-pit/stand-in")));
            assertThat(out).singleElement().satisfies(t -> {
                assertThat(t.placed()).isFalse();
                assertThat(t.cgroup()).isNull();
                assertThat(t.error()).contains("EINVAL");
            });
            assertThat(refused).hasValue(1);
            assertThat(f.hierarchy.isPlaced(layout.qemu(), bound.get(0), bound.get(0))).isFalse();
        } finally {
            assertThat(cgroups.teardown()).isEmpty();
        }
    }
}
