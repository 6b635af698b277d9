package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.Prerequisites;
import dev.vmsup.supervisor.config.Accel;
import dev.vmsup.supervisor.testing.InProcessCli;
import dev.vmsup.supervisor.testing.SandboxFixture;

/**
 * {@code vmsup check} on this real host: what it reports, its verdict and exit code for a configuration that can
 * run and for ones that cannot, and that it makes nothing (the cgroups it reports as missing stay missing).
 */
class CheckCommandTest {
    @TempDir
    Path tmp;
    /** A parent and an overhead root no one has: check must report them missing and leave them so. */
    private final String unique = "vmsup-test-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void prerequisites() {
        Prerequisites.requireCgroupV1("cpu", "cpuacct", "cpuset", "memory", "pids");
        SandboxFixture.requireQemu();
    }

    private InProcessCli check(String extraToml) throws IOException {
        Path config = Files.writeString(tmp.resolve("vmsup.toml"), "[vmsup]\ncgroup_parent = \"/" + unique
                + "/parent\"\noverhead_cgroup = \"/" + unique + "/overhead\"\n" + extraToml
                + "[hypervisor.qemu]\npath = \"" + SandboxFixture.QEMU + "\"\n");
        return InProcessCli.run("check", "--config", config.toString());
    }

    @Test
    void aHostThatCanRunASandboxSaysSoAndNothingIsMade() throws IOException {
        InProcessCli r = check("accel = \"tcg\"\n");
        assertThat(r.err()).isEmpty();
        CgroupHost host = CgroupHost.detect();
        assertThat(r.out()).contains("cgroup mode      " + host.mode().name().toLowerCase(java.util.Locale.ROOT),
                "placement uses   v1, controllers: ",
                "parent cgroup    /" + unique + "/parent: missing (created on first run, never removed)",
                "overhead cgroup  /" + unique + "/overhead: missing (created on first run, never removed)",
                "privileges       root", "accel=auto       picks ",
                "qemu             " + SandboxFixture.QEMU + ": QEMU emulator version ")
                .endsWith("result           ok: a sandbox can run here" + System.lineSeparator());
        assertThat(r.code()).isZero();
        host.v1Mounts().values().forEach(mount -> assertThat(mount.resolve(unique)).as("made by check").doesNotExist());
    }

    @Test
    void aQemuThatIsNotThereMeansNoSandbox() throws IOException {
        Path config = Files.writeString(tmp.resolve("noqemu.toml"),
                "[hypervisor.qemu]\npath = \"/nonexistent/qemu\"\n");
        InProcessCli r = InProcessCli.run("check", "--config", config.toString());
        assertThat(r.out()).contains("qemu             /nonexistent/qemu not found",
                "result           a sandbox cannot run here:", "- qemu not found at /nonexistent/qemu");
        assertThat(r.code()).isEqualTo(1);
    }

    @Test
    void kvmAskedForIsCheckedAgainstTheDevice() throws IOException {
        InProcessCli r = check("accel = \"kvm\"\n");
        if (Accel.kvmUsable(Accel.KVM_DEVICE)) {
            assertThat(r.out()).contains("kvm              /dev/kvm usable", "ok: a sandbox can run here");
            assertThat(r.code()).isZero();
        } else {
            assertThat(r.out()).contains("kvm              /dev/kvm not usable", "a sandbox cannot run here:",
                    "- accel/--accel kvm: /dev/kvm ");
            assertThat(r.code()).isEqualTo(1);
        }
    }

    @Test
    void aConfigurationThatDoesNotParseIsAUsageError() throws IOException {
        InProcessCli r = check("accel = \"fast\"\n");
        assertThat(r.err()).isEqualTo("vmsup: " + tmp.resolve("vmsup.toml")
                + ": vmsup.accel: expected kvm, tcg or auto, got 'fast'" + System.lineSeparator());
        assertThat(r.out()).isEmpty();
        assertThat(r.code()).isEqualTo(2);
    }
}
