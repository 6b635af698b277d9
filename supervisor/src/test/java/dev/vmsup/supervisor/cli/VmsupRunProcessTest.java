package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.internal.SubtreeRemover;
import dev.vmsup.supervisor.sandbox.SandboxKvmTest;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.VmsupProcess;

/**
 * {@code vmsup run} as a real separate process on the real v1 hierarchies (memory included): it moves itself
 * before starting QEMU, ends with QEMU, stops on SIGTERM, refuses bad input, and leaves nothing behind.
 */
class VmsupRunProcessTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.ALL_V1).withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        f = fixture;
    }

    private List<String> args(String id) {
        return List.of(f.pausedRunArgs(id, tmp.resolve(id)));
    }

    private VmsupProcess run(List<String> args) throws IOException {
        return VmsupProcess.start(args.toArray(String[]::new));
    }

    private List<String> leftovers() {
        return f.leftoverSandboxCgroups();
    }

    @Test
    void endsNonZeroWithinASecondWhenQemuIsKilledAndLeavesNothing() throws Exception {
        try (VmsupProcess vmsup = run(args("killed"))) {
            long qemu = vmsup.awaitStarted(30_000);
            CgroupPath vcpu = f.parent().child("kata_killed").child("vcpu");
            assertThat(f.hierarchy.isPlaced(vcpu, (int) qemu, SandboxFixture.vcpuThreads(qemu).get(0))).isTrue();
            int vmsupPid = (int) vmsup.process.pid();
            assertThat(f.hierarchy.placementOf(vmsupPid, vmsupPid)).as("vmsup moved itself in every hierarchy")
                    .containsOnlyKeys(SandboxFixture.ALL_V1).allSatisfy((c, p) -> assertThat(p)
                            .isEqualTo(f.overheadRoot().child("killed")));

            long start = System.nanoTime();
            ProcessHandle.of(qemu).orElseThrow().destroyForcibly();
            assertThat(vmsup.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(vmsup.awaitExit(5, TimeUnit.SECONDS)).isTrue();

            assertThat(vmsup.process.exitValue()).as(vmsup.output()).isEqualTo(ExitCodes.FAILURE);
            assertThat(took).as("exit after QEMU's death").isLessThanOrEqualTo(Duration.ofSeconds(1));
            assertThat(vmsup.output()).contains("killed by signal 9");
            assertThat(leftovers()).isEmpty();
            assertThat(tmp.resolve("killed/qmp.sock")).doesNotExist();
        }
    }

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void underKvmThePitThreadJoinsQemusCgroupAndSigtermLeavesNothing(boolean sandboxCgroupOnly) throws Exception {
        SandboxKvmTest.requireKvm();
        List<String> argv = new java.util.ArrayList<>(args("kvm"));
        argv.set(argv.indexOf("tcg"), "kvm");
        if (sandboxCgroupOnly) {
            argv.add("--sandbox-cgroup-only");
        }
        try (VmsupProcess vmsup = run(argv)) {
            long qemu = vmsup.awaitStarted(30_000);
            CgroupPath sandbox = f.parent().child("kata_kvm");
            CgroupPath nonVcpu = sandboxCgroupOnly ? sandbox : f.overheadRoot().child("kvm");
            for (int tid : SandboxFixture.vcpuThreads(qemu)) {
                assertThat(SandboxFixture.threads(qemu).get(tid)).endsWith("/KVM");
                assertThat(f.hierarchy.isPlaced(sandbox.child("vcpu"), (int) qemu, tid)).isTrue();
            }
            List<Integer> pits = SandboxKvmTest.processesNamed("kvm-pit/" + qemu);
            assertThat(pits).hasSize(1);
            int pit = pits.get(0);
            assertThat(f.hierarchy.placementOf(pit, pit)).as("kvm-pit in every hierarchy vmsup uses")
                    .containsOnlyKeys(SandboxFixture.ALL_V1).allSatisfy((c, p) -> assertThat(p).isEqualTo(nonVcpu));
            assertThat(vmsup.output()).contains("kernel   kvm-pit/" + qemu + " pid " + pit + " in " + nonVcpu);

            vmsup.process.toHandle().destroy();
            assertThat(vmsup.awaitExit(20, TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).as(vmsup.output()).isEqualTo(ExitCodes.OK);
            assertThat(ProcessHandle.of(qemu)).isEmpty();
            Awaitility.await("kvm-pit ends with the VM").atMost(Duration.ofSeconds(10))
                    .until(() -> ProcessHandle.of(pit).isEmpty());
            assertThat(leftovers()).isEmpty();
        }
    }

    @Test
    void sigtermStopsTheSandboxCleanly() throws Exception {
        try (VmsupProcess vmsup = run(args("termed"))) {
            long qemu = vmsup.awaitStarted(30_000);
            vmsup.process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output
            assertThat(vmsup.awaitExit(20, TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).as(vmsup.output()).isEqualTo(ExitCodes.OK);
            assertThat(ProcessHandle.of(qemu)).isEmpty();
            assertThat(leftovers()).isEmpty();
            assertThat(vmsup.output()).contains("SIGTERM");
        }
    }

    @Test
    void aRuntimeThatSpawnsItInItsOverheadCgroupSavesTheReexecutionAndKeepsThatCgroup() throws Exception {
        AtHomeChecks.run(f, tmp);
    }

    @Test
    void badInputExitsTwoWithOneLineAndCreatesNothing() throws Exception {
        Path toml = Files.writeString(tmp.resolve("bad.toml"), "[hypervisor.qemu]\ndefault_vcpus = \"many\"\n");
        Path containers = Files.writeString(tmp.resolve("c.json"), "{\"c1\": {\"cpu\": {\"cpus\": \"3-1\"}}}");
        List<List<String>> bad = List.of(
                List.of("run", "--id", "../escape", "--state-dir", tmp.resolve("s1").toString()),
                List.of("run", "--id", "ok", "--config", toml.toString(), "--state-dir", tmp.resolve("s2").toString()),
                List.of("run", "--id", "ok", "--vcpus", "9", "--max-vcpus", "4", "--state-dir", tmp.resolve("s3").toString()),
                List.of("run", "--id", "ok", "--cgroup-parent", "/a/../../etc", "--state-dir", tmp.resolve("s4").toString()),
                List.of("run", "--id", "ok", "--containers", containers.toString(), "--state-dir",
                        tmp.resolve("s5").toString(), "--cgroup-parent", f.parent().toString()),
                List.of("run", "--id", "ok", "--accel", "xen", "--state-dir", tmp.resolve("s6").toString()));
        for (List<String> args : bad) {
            try (VmsupProcess vmsup = run(args)) {
                assertThat(vmsup.awaitExit(30, TimeUnit.SECONDS)).isTrue();
                assertThat(vmsup.process.exitValue()).as(args + "\n" + vmsup.output()).isEqualTo(ExitCodes.USAGE);
                assertThat(vmsup.stderr).as(args.toString()).hasSize(1);
                assertThat(vmsup.stderr.get(0)).startsWith("vmsup: ");
            }
        }
        for (int i = 1; i <= 6; i++) {
            assertThat(tmp.resolve("s" + i)).doesNotExist();
        }
        assertThat(f.hierarchy.exists(f.parent())).as("nothing created under the test root").isFalse();
        assertThat(CgroupFiles.readIds(f.host.v1Mounts().get("cpu").resolve(f.root.path().relative())
                .resolve("cgroup.procs"))).isEmpty();
    }
}
