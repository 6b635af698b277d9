package dev.vmsup.supervisor.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.config.Accel;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.config.SupervisorConfig;

class CommandLineAndLayoutTest {
    private static SupervisorConfig config(boolean sandboxOnly) {
        Settings s = new Settings();
        s.qemuPath("/bin/true");
        s.sandboxCgroupOnly(sandboxOnly);
        s.cgroupParent("/kubepods/pod1");
        s.stateDir("/run/vmsup/with,comma");
        s.vcpus(2);
        s.maxVcpus(6);
        s.memoryMib(512);
        return s.resolve("sb1");
    }

    @Test
    void layoutWithOverheadOnV1() {
        CgroupLayout l = CgroupLayout.of(config(false), CgroupVersion.V1);
        assertThat(l.sandbox()).isEqualTo(CgroupPath.of("/kubepods/pod1/kata_sb1"));
        assertThat(l.vcpu()).isEqualTo(CgroupPath.of("/kubepods/pod1/kata_sb1/vcpu"));
        assertThat(l.overhead()).isEqualTo(CgroupPath.of("/kata_overhead/sb1"));
        assertThat(l.supervisor()).isEqualTo(l.overhead());
        assertThat(l.qemu()).isEqualTo(l.overhead());
    }

    @Test
    void layoutWithOverheadOnV2PutsQemuInTheSandbox() {
        CgroupLayout l = CgroupLayout.of(config(false), CgroupVersion.V2);
        assertThat(l.supervisor()).isEqualTo(CgroupPath.of("/kata_overhead/sb1"));
        assertThat(l.qemu()).isEqualTo(CgroupPath.of("/kubepods/pod1/kata_sb1"));
    }

    @Test
    void sandboxCgroupOnlyPutsEverythingInTheSandbox() {
        for (CgroupVersion v : CgroupVersion.values()) {
            CgroupLayout l = CgroupLayout.of(config(true), v);
            assertThat(l.overhead()).isNull();
            assertThat(l.supervisor()).isEqualTo(l.sandbox());
            assertThat(l.qemu()).isEqualTo(l.sandbox());
        }
    }

    @Test
    void overheadInsideTheSandboxIsRefused() {
        Settings s = new Settings();
        s.qemuPath("/bin/true");
        s.cgroupParent("/a");
        s.overheadCgroup("/a/kata_sb1");
        SupervisorConfig c = s.resolve("sb1");
        assertThatThrownBy(() -> CgroupLayout.of(c, CgroupVersion.V1)).isInstanceOf(ConfigException.class);
    }

    @Test
    void qemuArgvIsAListWithEverythingPlacementNeeds() {
        List<String> argv = QemuCommandLine.build(config(false), AccelProbe.TCG);
        assertThat(argv.get(0)).isEqualTo("/bin/true");
        assertThat(String.join(" ", argv)).contains(
                "-name sb1,debug-threads=on", " -S ", "-machine q35", "-accel tcg,thread=multi",
                "-smp 2,maxcpus=6,sockets=6,cores=1,threads=1", "-m 512M", "-nodefaults", "-display none",
                "-qmp unix:/run/vmsup/with,,comma/qmp.sock,server=on,wait=off",
                "-serial file:/run/vmsup/with,comma/serial.log");
        assertThat(argv).doesNotContain("-kernel", "-append");
    }

    @Test
    void kernelAndAppendArePassedAsSingleArguments() {
        Settings s = new Settings();
        s.qemuPath("/bin/true");
        s.kernel("/bin/sh");
        s.kernelParams("console=ttyS0 quiet; rm -rf /");
        s.serial("stdio");
        List<String> argv = QemuCommandLine.build(s.resolve("k"), AccelProbe.KVM);
        assertThat(argv).containsSubsequence("-kernel", "/bin/sh").containsSubsequence("-append",
                "console=ttyS0 quiet; rm -rf /").containsSubsequence("-serial", "stdio")
                .containsSubsequence("-accel", "kvm");
    }

    @Test
    void autoAccelAvoidsNestedKvm() throws Exception {
        Path cpuinfo = java.nio.file.Files.createTempFile("cpuinfo", "");
        try {
            java.nio.file.Files.writeString(cpuinfo, "processor : 0\nflags : fpu vme hypervisor lahf_lm\n");
            assertThat(AccelProbe.nested(cpuinfo)).isTrue();
            java.nio.file.Files.writeString(cpuinfo, "processor : 0\nflags : fpu vme vmx lahf_lm\n");
            assertThat(AccelProbe.nested(cpuinfo)).isFalse();
        } finally {
            java.nio.file.Files.delete(cpuinfo);
        }
        assertThat(AccelProbe.resolve(Accel.TCG, Path.of("/proc"))).isEqualTo("tcg,thread=multi");
        assertThat(Accel.kvmUsable(Path.of("/nonexistent/kvm"))).isFalse();
    }
}
