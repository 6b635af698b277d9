package dev.vmsup.supervisor.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;




/**
 * Issue 18, finding 6: QEMU stopped (SIGSTOP) past a QMP deadline, then continued. QEMU carries out the late
 * device_add; the sandbox must not keep its stale view nor leave the new vCPU thread outside the vcpu cgroup.
 */
class QemuStoppedTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.IN_PROCESS_V1).withQemu();

    private static void signal(String sig, long pid) throws Exception {
        Process kill = new ProcessBuilder("/bin/kill", "-" + sig, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    @Test
    void afterQemuMissedADeadlineTheViewIsReadAgainAndEveryVcpuThreadIsPlaced(SandboxFixture f) throws Exception {
        Sandbox s = f.start(f.settings(false).resolve("stopped"), Map.of());
        long qemu = s.snapshot().qemuPid();
        try {
            s.resize(2); // QEMU's free slots are now known: the next hotplug goes straight to device_add
            signal("STOP", qemu);
            CompletableFuture<Object> resize = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.resize(3);
                } catch (RuntimeException e) {
                    return e;
                }
            });
            Thread.sleep(12_000); // past the 10 s QMP deadline of device_add
            signal("CONT", qemu);
            Object outcome = resize.get(60, TimeUnit.SECONDS);
            assertThat(outcome).as("the resize reports QEMU's silence").isInstanceOf(ResizeException.class);
            Awaitility.await("the view read again from QEMU").atMost(Duration.ofSeconds(20)).until(() ->
                    s.snapshot().vcpus().size() == SandboxFixture.vcpuThreads(qemu).size()
                            && s.snapshot().vcpus().stream().allMatch(VcpuInfo::placed));
            assertThat(SandboxFixture.vcpuThreads(qemu)).as("QEMU carried out the late device_add").hasSize(3);
            f.assertPlacement(s, 3);
            assertThat(s.resize(4)).as("the next resize acts on the true picture").hasSize(4);
            f.assertPlacement(s, 4);
        } finally {
            signal("CONT", qemu);
            s.teardown();
        }
        f.assertTornDown(s);
    }
}
