package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.supervisor.ctl.CtlCommand;
import dev.vmsup.supervisor.testing.InProcessCli;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.VmsupProcess;

/** {@code vmsup ctl} against a running {@code vmsup run} process, over its real API socket. */
class CtlEndToEndTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.ALL_V1).withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        f = fixture;
    }

    private static InProcessCli ctl(Path socket, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "ctl";
        all[1] = "--api-socket";
        all[2] = socket.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return InProcessCli.run(all);
    }

    @Test
    void drivesARunningSandbox() throws Exception {
        Path socket = tmp.resolve("ctl/api.sock");
        try (VmsupProcess vmsup = VmsupProcess.start(f.pausedRunArgs("ctl", tmp.resolve("ctl")))) {
            long qemu = vmsup.awaitStarted(30_000);
            Path vcpuDir = f.host.v1Mounts().get("cpu").resolve(f.parent().child("kata_ctl").child("vcpu").relative());

            InProcessCli status = ctl(socket, "status");
            assertThat(status.code()).as(status.err()).isZero();
            assertThat(status.out()).contains("sandbox   ctl  paused", "QEMU pid " + qemu, "vcpus     1 of max 4");

            InProcessCli resize = ctl(socket, "resize", "3");
            assertThat(resize.code()).as(resize.err()).isZero();
            assertThat(resize.out()).contains("vcpus     3 of max 4");
            assertThat(SandboxFixture.vcpuThreads(qemu)).hasSize(3).allSatisfy(
                    tid -> assertThat(f.hierarchy.isPlaced(f.parent().child("kata_ctl").child("vcpu"), (int) qemu, tid))
                            .isTrue());

            InProcessCli add = ctl(socket, "add-container", "web", "--cpu-quota", "150000", "--cpu-period", "100000",
                    "--memory", "256M");
            assertThat(add.code()).as(add.err()).isZero();
            assertThat(CgroupFiles.read(vcpuDir.resolve("cpu.cfs_quota_us")).strip()).isEqualTo("150000");
            assertThat(ctl(socket, "containers").out()).contains("web", "150000", Long.toString(256L << 20));
            assertThat(ctl(socket, "--json", "containers").out()).contains("\"web\":{\"cpu\":{\"quota\":150000");
            InProcessCli stats = ctl(socket, "stats");
            assertThat(stats.out()).contains("CGROUP", "vcpu", "overhead", "sandbox_overhead");
            assertThat(ctl(socket, "remove-container", "web").code()).isZero();
            assertThat(CgroupFiles.read(vcpuDir.resolve("cpu.cfs_quota_us")).strip()).isEqualTo("-1");

            InProcessCli events = ctl(socket, "events", "--count", "1");
            assertThat(events.code()).as(events.err()).isZero();
            assertThat(events.out()).contains("\"type\":\"subscribed\"", "\"state\":\"paused\"");

            assertThat(ctl(socket, "resume").out()).contains("running");
            assertThat(ctl(socket, "pause").out()).contains("paused");

            InProcessCli tooMany = ctl(socket, "resize", "9");
            assertThat(tooMany.code()).isEqualTo(CtlCommand.API_ERROR);
            assertThat(tooMany.err()).contains("400", "1..4");
            assertThat(ctl(socket, "remove-container", "nope").code()).isEqualTo(CtlCommand.API_ERROR);
            assertThat(ctl(socket, "add-container", "../x").code()).isEqualTo(ExitCodes.USAGE);
            assertThat(ctl(socket, "resize").code()).isEqualTo(ExitCodes.USAGE);
            assertThat(ctl(tmp.resolve("missing.sock"), "status").code()).isEqualTo(CtlCommand.UNREACHABLE);

            InProcessCli shutdown = ctl(socket, "shutdown");
            assertThat(shutdown.code()).as(shutdown.err()).isZero();
            assertThat(vmsup.awaitExit(20, TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).as(vmsup.output()).isEqualTo(ExitCodes.OK);
            assertThat(socket).doesNotExist();
            assertThat(f.hierarchy.exists(f.parent().child("kata_ctl"))).isFalse();
        }
    }
}
