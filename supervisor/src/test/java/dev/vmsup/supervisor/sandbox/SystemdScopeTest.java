package dev.vmsup.supervisor.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Prerequisites;
import dev.vmsup.supervisor.systemd.SystemdManager;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.VmsupProcess;

/**
 * Under a real systemd as PID 1 (the guest of {@code scripts/test-v2-guest --systemd}): with a parent in systemd
 * form, vmsup asks systemd for a delegated transient scope and builds the sandbox inside it. Checked through systemd
 * itself ({@code systemctl show}, {@code systemctl status}, {@code busctl}) and through /proc; after SIGTERM the unit
 * and its cgroup are gone.
 */
@Tag("systemd")
class SystemdScopeTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v2().withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        Prerequisites.require(SystemdManager.runsThisHost(Path.of("/proc")), "systemd as PID 1 with its system bus");
        f = fixture;
    }

    /** Runs a systemd tool with a deadline (its output goes to a file: reading a pipe would wait without one). */
    private String run(String... argv) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", argv) + " did not answer within 30 s: "
                    + Files.readString(out, StandardCharsets.UTF_8));
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private Map<String, String> show(String unit) throws Exception {
        Map<String, String> props = new LinkedHashMap<>();
        for (String line : run("systemctl", "show", unit, "-p", "ControlGroup", "-p", "Delegate", "-p",
                "ActiveState", "-p", "LoadState").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                props.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        return props;
    }

    /**
     * Each mode from the test class path, and the default mode as users run it ({@code scripts/vmsup}: the packaged
     * jar and the runtime image, whose modules must include what the D-Bus client needs).
     */
    @ParameterizedTest(name = "sandbox_cgroup_only={0}, packaged={1}")
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    @CsvSource({"false, false", "true, false", "false, true"})
    void theSandboxLivesInADelegatedScopeSystemdKnowsAndLeavesWithIt(boolean sandboxCgroupOnly, boolean packaged)
            throws Exception {
        String id = packaged ? "sdpkg" : sandboxCgroupOnly ? "sdonly" : "sdovh";
        String unit = "vmsup-" + id + ".scope";
        Path containers = Files.writeString(tmp.resolve("c.json"),
                "{\"c1\": {\"cpu\": {\"quota\": 150000, \"period\": 100000}}}");
        List<String> args = new ArrayList<>(List.of("run", "--id", id, "--accel", "tcg", "--paused", "--memory", "128",
                "--serial", "none", "--cgroup-parent", "vmsuptest.slice:vmsup:" + id, "--systemd-cgroup", "on",
                "--state-dir", tmp.resolve(id).toString(), "--containers", containers.toString()));
        if (sandboxCgroupOnly) {
            args.add("--sandbox-cgroup-only");
        }
        CgroupPath scope = CgroupPath.of("/vmsuptest.slice/" + unit);
        CgroupPath sandbox = scope.child("kata_" + id);
        try (VmsupProcess vmsup = packaged ? VmsupProcess.startPackaged(args.toArray(String[]::new))
                : VmsupProcess.start(args.toArray(String[]::new))) {
            long qemu = vmsup.awaitStarted(150_000); // two JVM start-ups (the re-exec) in a TCG guest
            int self = (int) vmsup.process.pid();

            Map<String, String> props = show(unit);
            assertThat(props).as(vmsup.output()).containsEntry("ActiveState", "active")
                    .containsEntry("Delegate", "yes").containsEntry("ControlGroup", scope.toString());
            String status = run("systemctl", "status", "--no-pager", "--lines=0", unit);
            assertThat(status).as("systemctl status lists vmsup and QEMU in the scope")
                    .contains(Long.toString(self), Long.toString(qemu));
            assertThat(run("busctl", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                    "org.freedesktop.systemd1.Manager", "GetUnit", "s", unit)).contains("/org/freedesktop/systemd1/unit/");

            for (int tid : SandboxFixture.vcpuThreads(qemu)) {
                assertThat(f.hierarchy.isPlaced(sandbox.child("vcpu"), (int) qemu, tid)).as("vCPU %d", tid).isTrue();
            }
            assertThat(f.hierarchy.isPlaced(sandbox, (int) qemu, (int) qemu)).as("QEMU in the sandbox cgroup").isTrue();
            CgroupPath home = sandboxCgroupOnly ? sandbox : scope.child("overhead_" + id);
            assertThat(f.hierarchy.isPlaced(home, self, self)).as("vmsup in %s: %s", home,
                    f.hierarchy.placementOf(self, self)).isTrue();
            Path cgroupfs = f.host.unifiedMount();
            assertThat(Files.readString(cgroupfs.resolve(sandbox.child("vcpu").relative()).resolve("cpu.max")).strip())
                    .as("the merged quota, written inside the delegated subtree").isEqualTo("150000 100000");

            vmsup.process.toHandle().destroy();
            assertThat(vmsup.awaitExit(60, TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).as(vmsup.output()).isZero();
        }
        Map<String, String> after = show(unit);
        assertThat(after.get("ActiveState")).as("the scope is gone: %s", after).isIn("inactive", null);
        // systemd prunes a stopped scope's cgroup on its own schedule: vmsup's exit does not wait for it (a run in the
        // systemd guest once saw the directory right after the unit went inactive; it was gone in the next run)
        Path scopeDir = f.host.unifiedMount().resolve(scope.relative());
        await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThat(Files.exists(scopeDir))
                .as("its cgroup is gone (still in it: %s)", leftIn(scopeDir)).isFalse());
    }

    /** What a cgroup directory still holds: its child cgroups and the pids in each, for a failure's message. */
    private static String leftIn(Path dir) {
        try (var all = Files.walk(dir)) {
            return all.filter(Files::isDirectory).map(d -> {
                try {
                    return dir.relativize(d) + " " + Files.readString(d.resolve("cgroup.procs")).strip();
                } catch (IOException e) {
                    return dir.relativize(d) + " ?";
                }
            }).toList().toString();
        } catch (IOException | RuntimeException e) {
            return "(gone)";
        }
    }
}
