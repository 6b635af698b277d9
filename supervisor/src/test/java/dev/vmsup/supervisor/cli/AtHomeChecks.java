package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.vmsup.cgroupfs.Cgroup;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.VmsupProcess;

/**
 * The runtime's contract (README, "Sizing pod overhead"), shared by the v1 and v2 tests: a runtime makes vmsup's
 * overhead cgroup and spawns {@code vmsup run} inside it; vmsup does not re-execute, makes the rest beside it, and
 * leaves that cgroup (and only that) behind at the end.
 */
final class AtHomeChecks {
    private AtHomeChecks() {
    }

    static void run(SandboxFixture f, Path tmp) throws Exception {
        CgroupPath home = f.overheadRoot().child("placed");
        Cgroup runtimes = f.hierarchy.create(home);
        try (VmsupProcess vmsup = VmsupProcess.startWrapped(VmsupProcess.insideCgroup(runtimes),
                f.pausedRunArgs("placed", tmp.resolve("placed")))) {
            long qemu = vmsup.awaitStarted(30_000);
            int pid = (int) vmsup.process.pid();
            assertThat(f.hierarchy.placementOf(pid, pid)).isNotEmpty().allSatisfy((c, p) -> assertThat(p).isEqualTo(home));
            CgroupPath vcpu = f.parent().child("kata_placed").child("vcpu");
            assertThat(f.hierarchy.isPlaced(vcpu, (int) qemu, SandboxFixture.vcpuThreads(qemu).get(0))).isTrue();
            assertThat(vmsup.output()).doesNotContain("re-executing");
            assertThat(Files.readString(tmp.resolve("placed/state.json"))).as("not vmsup's to remove, even after a crash")
                    .contains("\"" + f.parent().child("kata_placed") + "\"").doesNotContain("\"" + home + "\"");

            vmsup.process.toHandle().destroy();
            assertThat(vmsup.awaitExit(20, TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).as(vmsup.output()).isEqualTo(ExitCodes.OK);
            assertThat(ProcessHandle.of(qemu)).isEmpty();
            assertThat(f.hierarchy.exists(home)).as("the runtime's cgroup stays").isTrue();
            assertThat(runtimes.processes()).isEmpty();
            assertThat(f.hierarchy.exists(f.parent().child("kata_placed"))).as("vmsup's own are gone").isFalse();
        } finally {
            f.hierarchy.remove(home);
        }
    }
}
