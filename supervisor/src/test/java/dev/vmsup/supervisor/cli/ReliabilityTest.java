package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Errno;
import dev.vmsup.cgroupfs.Spawned;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.sandbox.ResizeException;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.state.StateFile;
import dev.vmsup.supervisor.testing.InProcessCli;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.VmsupProcess;

/**
 * Faults and crashes on real components: whatever happens, the sandbox ends with a clear message and nothing of
 * it is left (cgroups, processes, sockets, state file).
 */
class ReliabilityTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.ALL_V1).withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        f = fixture;
    }

    private static InProcessCli vmsup(String... args) {
        return InProcessCli.run(args);
    }

    private VmsupProcess run(String id) throws Exception {
        return VmsupProcess.start(f.pausedRunArgs(id, tmp.resolve(id)));
    }

    private boolean sandboxCgroupsExist(String id) {
        return f.hierarchy.exists(f.parent().child("kata_" + id)) || f.hierarchy.exists(f.overheadRoot().child(id));
    }

    private static void awaitGone(long pid) throws Exception {
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
    }

    @Test
    void supervisorSigkilledTakesQemuWithItAndCleanupRemovesTheRest() throws Exception {
        try (VmsupProcess vmsup = run("crash")) {
            long qemu = vmsup.awaitStarted(30_000);
            assertThat(StateFile.read(tmp.resolve("crash"))).satisfies(st -> {
                assertThat(st.qemu().pid()).isEqualTo(qemu);
                assertThat(st.supervisor().pid()).isEqualTo(vmsup.process.pid());
                assertThat(st.cgroups()).contains(f.parent().child("kata_crash").toString());
            });
            vmsup.process.destroyForcibly();
            vmsup.awaitExit(10, TimeUnit.SECONDS);
            CompletableFuture.runAsync(() -> {
                try {
                    awaitGone(qemu);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).get(5, TimeUnit.SECONDS);
            assertThat(ProcessHandle.of(qemu)).as("QEMU dies with its supervisor (PR_SET_PDEATHSIG)").isEmpty();
            assertThat(sandboxCgroupsExist("crash")).as("left for cleanup").isTrue();

            InProcessCli cleanup = vmsup("cleanup", "--id", "crash", "--state-dir", tmp.resolve("crash").toString());
            assertThat(cleanup.code()).as(cleanup.out() + cleanup.err()).isZero();
            assertThat(cleanup.out()).contains("removed cgroup " + f.parent().child("kata_crash"));
            assertThat(sandboxCgroupsExist("crash")).isFalse();
            assertThat(tmp.resolve("crash")).doesNotExist();

            InProcessCli again = vmsup("cleanup", "--id", "crash", "--state-dir", tmp.resolve("crash").toString());
            assertThat(again.code()).isZero();
            assertThat(again.out()).contains("nothing to clean");
        }
    }

    @Test
    void cleanupAllFindsEveryDeadSandboxUnderTheStateDirBase() throws Exception {
        Path base = Files.createDirectories(tmp.resolve("base"));
        Path toml = Files.writeString(tmp.resolve("vmsup.toml"), "[vmsup]\nstate_dir = \"" + base + "\"\n");
        for (String id : List.of("one", "two")) {
            try (VmsupProcess v = VmsupProcess.start("run", "--id", id, "--config", toml.toString(), "--accel", "tcg",
                    "--paused", "--memory", "128", "--serial", "none", "--cgroup-parent", f.parent().toString(),
                    "--overhead-cgroup", f.overheadRoot().toString())) {
                v.awaitStarted(30_000);
                v.process.destroyForcibly();
                v.awaitExit(10, TimeUnit.SECONDS);
            }
        }
        assertThat(sandboxCgroupsExist("one")).isTrue();
        InProcessCli all = vmsup("cleanup", "--all", "--config", toml.toString());
        assertThat(all.code()).as(all.out() + all.err()).isZero();
        assertThat(sandboxCgroupsExist("one")).isFalse();
        assertThat(sandboxCgroupsExist("two")).isFalse();
        try (var left = Files.list(base)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void runWithTheIdOfADeadSupervisorCleansUpFirst() throws Exception {
        try (VmsupProcess first = run("again")) {
            first.awaitStarted(30_000);
            first.process.destroyForcibly();
            first.awaitExit(10, TimeUnit.SECONDS);
        }
        try (VmsupProcess second = run("again")) {
            second.awaitStarted(30_000);
            assertThat(second.output()).contains("cleaned up after a supervisor that died");
            second.process.toHandle().destroy();
            assertThat(second.awaitExit(20, TimeUnit.SECONDS)).isTrue();
            assertThat(second.process.exitValue()).isZero();
        }
        assertThat(sandboxCgroupsExist("again")).isFalse();
        assertThat(tmp.resolve("again")).doesNotExist();
    }

    @Test
    void cleanupRefusesWhileTheSupervisorLivesUnlessForced() throws Exception {
        try (VmsupProcess vmsup = run("alive")) {
            long qemu = vmsup.awaitStarted(30_000);
            InProcessCli refused = vmsup("cleanup", "--id", "alive", "--state-dir", tmp.resolve("alive").toString());
            assertThat(refused.code()).isEqualTo(ExitCodes.FAILURE);
            assertThat(refused.err()).contains("is alive");
            assertThat(ProcessHandle.of(qemu)).as("nothing killed").isPresent();
            assertThat(sandboxCgroupsExist("alive")).isTrue();

            InProcessCli forced = vmsup("cleanup", "--id", "alive", "--state-dir", tmp.resolve("alive").toString(), "--force");
            assertThat(forced.code()).as(forced.err()).isZero();
            assertThat(vmsup.awaitExit(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture.runAsync(() -> ProcessHandle.of(qemu).ifPresent(h -> h.onExit().join()))
                    .get(10, TimeUnit.SECONDS);
            assertThat(ProcessHandle.of(qemu)).isEmpty();
            assertThat(sandboxCgroupsExist("alive")).isFalse();
        }
    }

    @Test
    void qemuKilledDuringAResizeEndsTheSandboxWithNothingLeft() throws Exception {
        SandboxFixture own = SandboxFixture.v1(tmp.resolve("own"), SandboxFixture.IN_PROCESS_V1);
        try {
            Settings s = own.settings(false);
            Sandbox sup = own.start(s.resolve("killed"), Map.of());
            try {
                CompletableFuture<Object> resize = CompletableFuture.supplyAsync(() -> {
                    try {
                        return sup.resize(4);
                    } catch (RuntimeException e) {
                        return e;
                    }
                });
                ProcessHandle.of(sup.snapshot().qemuPid()).orElseThrow().destroyForcibly();
                Object outcome = resize.get(30, TimeUnit.SECONDS);
                if (outcome instanceof RuntimeException e) {
                    assertThat(e).isInstanceOf(SupervisorException.class).hasMessageNotContaining("null");
                }
                int code = CompletableFuture.supplyAsync(() -> ExitCodes.of(sup.awaitStop())).get(30, TimeUnit.SECONDS);
                assertThat(code).isEqualTo(ExitCodes.FAILURE);
            } finally {
                sup.teardown();
            }
            own.assertTornDown(sup);
        } finally {
            own.close();
        }
    }

    @Test
    void virtiofsdKilledStopsTheSandbox() throws Exception {
        SandboxFixture own = SandboxFixture.v1(tmp.resolve("own"), SandboxFixture.IN_PROCESS_V1);
        try {
            Settings s = own.settings(false);
            s.share(Files.createDirectories(tmp.resolve("share")) + ":t");
            Sandbox sup = own.start(s.resolve("vfs"), Map.of());
            long vfs = sup.snapshot().virtiofsdPid();
            try {
                ProcessHandle.of(vfs).orElseThrow().destroyForcibly();
                int code = CompletableFuture.supplyAsync(() -> ExitCodes.of(sup.awaitStop())).get(30, TimeUnit.SECONDS);
                assertThat(code).isEqualTo(ExitCodes.FAILURE);
            } finally {
                sup.teardown();
            }
            own.assertTornDown(sup);
            assertThat(sup.config().virtiofsSocket()).doesNotExist();
        } finally {
            own.close();
        }
    }

    @Test
    void aVcpuCgroupRemovedFromUnderTheSupervisorIsAClearError() {
        SandboxFixture own = SandboxFixture.v1(tmp.resolve("own"), SandboxFixture.IN_PROCESS_V1);
        try {
            Sandbox sup = own.start(own.settings(false).resolve("gone"), Map.of());
            try {
                CgroupPath vcpu = sup.layout().vcpu();
                int qemu = (int) sup.snapshot().qemuPid();
                for (String c : SandboxFixture.IN_PROCESS_V1) {
                    Path dir = own.host.v1Mounts().get(c).resolve(vcpu.relative());
                    for (int tid : CgroupFiles.readIds(dir.resolve("tasks"))) {
                        CgroupFiles.write(dir.getParent().resolve("tasks"), Integer.toString(tid));
                    }
                    assertThat(CgroupFiles.rmdir(dir)).isNull();
                }
                assertThat(qemu).isPositive();
                assertThatThrownBy(() -> sup.resize(2)).isInstanceOf(ResizeException.class)
                        .hasRootCauseInstanceOf(CgroupException.class)
                        .satisfies(e -> {
                            Throwable root = e;
                            while (root.getCause() != null) {
                                root = root.getCause();
                            }
                            assertThat(((CgroupException) root).errno()).isEqualTo(Errno.ENOENT);
                            assertThat(root.getMessage()).contains(vcpu.toString());
                        });
                assertThat(sup.stopping()).as("a sandbox whose cgroup was removed ends, as the README says").isTrue();
                assertThat(sup.awaitStop().failed()).isTrue();
            } finally {
                sup.teardown();
            }
            own.assertTornDown(sup);
        } finally {
            own.close();
        }
    }

    @Test
    void aStrayTaskInsideIsMovedOutSoTheCgroupsStillGo() {
        SandboxFixture own = SandboxFixture.v1(tmp.resolve("own"), SandboxFixture.IN_PROCESS_V1);
        try (Spawned stray = Spawned.sleeper()) {
            Sandbox sup = own.start(own.settings(false).resolve("stray"), Map.of());
            try {
                own.hierarchy.load(sup.layout().vcpu()).addProcess(stray.pid());
                assertThat(CgroupFiles.rmdir(own.host.v1Mounts().get("cpu").resolve(sup.layout().vcpu().relative())))
                        .as("rmdir alone is refused while a task is inside").isEqualTo(Errno.EBUSY);
            } finally {
                assertThat(sup.teardown()).isEmpty();
            }
            own.assertTornDown(sup);
            assertThat(stray.alive()).as("teardown never kills what it did not start").isTrue();
            assertThat(own.hierarchy.isPlaced(own.parent(), stray.pid(), stray.pid())).isTrue();
        } finally {
            own.close();
        }
    }

    @Test
    void aCgroupParentThatNamesAFileCreatesNothing() throws Exception {
        InProcessCli bad = vmsup("run", "--id", "x", "--accel", "tcg", "--paused", "--state-dir", tmp.resolve("x").toString(),
                "--cgroup-parent", f.root.path().child("cgroup.procs").child("y").toString());
        assertThat(bad.code()).as(bad.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("not a directory");
        assertThat(tmp.resolve("x")).doesNotExist();
    }
}
