package dev.vmsup.supervisor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.cgroupfs.CgroupPath;

class ConfigTest {
    @TempDir
    Path tmp;

    private Path toml(String text) throws IOException {
        return Files.writeString(tmp.resolve("vmsup.toml"), text);
    }

    private static Settings withFakeQemu() {
        Settings s = new Settings();
        s.qemuPath("/bin/true");
        return s;
    }

    @Test
    void defaultsFollowTheDesign() {
        SupervisorConfig c = withFakeQemu().resolve("sb1");
        assertThat(c.sandboxCgroupOnly()).isFalse();
        assertThat(c.cgroupParent()).isEqualTo(CgroupPath.of("/vmsup"));
        assertThat(c.overheadCgroup()).isEqualTo(CgroupPath.of("/kata_overhead"));
        assertThat(c.sandboxCgroupPrefix()).isEqualTo("kata_");
        assertThat(c.vcpuCgroup()).isEqualTo("vcpu");
        assertThat(c.stateDir()).isEqualTo(Path.of("/run/vmsup/sb1"));
        assertThat(c.qmpSocket()).isEqualTo(Path.of("/run/vmsup/sb1/qmp.sock"));
        assertThat(c.vcpus()).isEqualTo(1);
        assertThat(c.maxVcpus()).isEqualTo(4);
        assertThat(c.accel()).isEqualTo(Accel.AUTO);
    }

    @Test
    void readsKataCompatibleAndOwnKeys() throws IOException {
        Settings s = ConfigLoader.load(toml("""
                [hypervisor.qemu]
                path = "/bin/true"
                default_vcpus = 2
                default_maxvcpus = 8
                default_memory = 1024
                kernel_params = "console=ttyS0"

                [runtime]
                sandbox_cgroup_only = true

                [vmsup]
                cgroup_parent = "kubepods-burstable-pod1.slice:cri-containerd:x"
                overhead_cgroup = "/ovh"
                accel = "tcg"
                state_dir = "/var/run/v"
                auto_vcpus = true
                cgroup_hierarchy = "v2"
                v1_controllers = ["cpu", "cpuset"]
                memory_overhead = 300
                """));
        SupervisorConfig c = s.resolve("sb1");
        assertThat(c.vcpus()).isEqualTo(2);
        assertThat(c.maxVcpus()).isEqualTo(8);
        assertThat(c.memoryMib()).isEqualTo(1024);
        assertThat(c.sandboxCgroupOnly()).isTrue();
        assertThat(c.cgroupParent().toString()).isEqualTo(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-x.scope");
        assertThat(c.accel()).isEqualTo(Accel.TCG);
        assertThat(c.stateDir()).isEqualTo(Path.of("/var/run/v/sb1"));
        assertThat(c.autoVcpus()).isTrue();
        assertThat(c.cgroupHierarchy()).isEqualTo(HierarchyChoice.V2);
        assertThat(c.v1Controllers()).containsExactlyInAnyOrder("cpu", "cpuset");
        assertThat(c.memoryOverheadMib()).isEqualTo(300);
    }

    static Object[][] badToml() {
        return new Object[][] {
                {"[hypervisor.qemu]\nbogus = 1", "unknown key 'hypervisor.qemu.bogus'"},
                {"[nonsense]\na = 1", "unknown section or key 'nonsense'"},
                {"[hypervisor.qemu]\ndefault_vcpus = \"two\"", "'hypervisor.qemu.default_vcpus' must be an integer"},
                {"[runtime]\nsandbox_cgroup_only = 1", "'runtime.sandbox_cgroup_only' must be true or false"},
                {"[vmsup]\naccel = \"xen\"", "vmsup.accel: expected kvm, tcg or auto, got 'xen'"},
                {"[vmsup]\ncgroup_hierarchy = \"v3\"", "vmsup.cgroup_hierarchy: expected auto, v1 or v2, got 'v3'"},
                {"[runtime]\nsystemd_cgroup = \"maybe\"", "runtime.systemd_cgroup: expected off, on or auto"},
                {"[vmsup]\nv1_controllers = \"cpu\"", "must be an array"},
                {"[hypervisor.qemu]\ndefault_vcpus = 99999999999", "must be an integer"},
                {"[vmsup\n", "cannot read config"},
        };
    }

    @ParameterizedTest
    @MethodSource("badToml")
    void badTomlNamesTheKey(String text, String expected) throws IOException {
        Path file = toml(text);
        assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(expected).hasMessageContaining(file + ": ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "a/b", "a\0b", "with space", ".hidden", "-dash", ""})
    void badIdsAreRefused(String id) {
        assertThatThrownBy(() -> withFakeQemu().resolve(id)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("invalid sandbox id");
    }

    @Test
    void idOf129CharactersIsRefusedAnd128Accepted() {
        assertThat(withFakeQemu().resolve("a".repeat(128)).id().value()).hasSize(128);
        assertThatThrownBy(() -> withFakeQemu().resolve("a".repeat(129))).isInstanceOf(ConfigException.class);
    }

    @Test
    void rangesAreChecked() {
        Settings s = withFakeQemu();
        s.vcpus(0);
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("default_vcpus");
        s.vcpus(5);
        s.maxVcpus(4);
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("1..4");
        s.vcpus(1);
        s.maxVcpus(-1);
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("default_maxvcpus");
        s.maxVcpus(4);
        s.memoryMib(1);
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("default_memory");
    }

    @Test
    void pathsAreChecked() {
        Settings s = withFakeQemu();
        s.cgroupParent("/a/../../b");
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("cgroup_parent");
        s.cgroupParent("bad-.slice:p:n");
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("cgroup_parent");
        s.cgroupParent("/");
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("root cgroup");
        s.cgroupParent("/vmsup");
        s.qemuPath("/nonexistent/qemu");
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("not an executable file");
        s.qemuPath("/bin/true");
        s.kernel("/nonexistent/vmlinuz");
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("kernel");
        s.kernel(null);
        s.stateDir("relative/dir");
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("absolute");
        s.stateDir(null);
        s.vcpuCgroup("a/b");
        assertThatThrownBy(() -> s.resolve("x")).hasMessageContaining("vcpu_cgroup");
    }

    @Test
    void kvmAskedForNeedsItsDeviceBeforeAnythingIsMade() throws IOException {
        Path absent = tmp.resolve("kvm");
        assertThatThrownBy(() -> Checks.checkAccel(Accel.KVM, absent)).isInstanceOf(ConfigException.class)
                .hasMessage("accel/--accel kvm: " + absent + " does not exist (this host offers no KVM)");
        // auto decides at start (TCG without a device), tcg needs none
        assertThat(Checks.checkAccel(Accel.AUTO, absent)).isEqualTo(Accel.AUTO);
        assertThat(Checks.checkAccel(Accel.TCG, absent)).isEqualTo(Accel.TCG);
        Path device = Files.createFile(absent);
        assertThat(Checks.checkAccel(Accel.KVM, device)).isEqualTo(Accel.KVM);
        // resolve() applies it to the host's own device
        Settings s = withFakeQemu();
        s.accel(Accel.KVM);
        if (Accel.kvmUsable(Accel.KVM_DEVICE)) {
            assertThat(s.resolve("x").accel()).isEqualTo(Accel.KVM);
        } else {
            assertThatThrownBy(() -> s.resolve("x")).hasMessageStartingWith("accel/--accel kvm: /dev/kvm ");
        }
    }

    @Test
    void deadlinesAreConfigurableAndChecked() throws IOException {
        Settings s = ConfigLoader.load(toml("""
                [vmsup]
                qmp_connect_timeout = 120
                qmp_command_timeout = 20
                cpu_unplug_timeout = 8
                powerdown_timeout = 30
                quit_timeout = 3
                """));
        s.qemuPath("/bin/true");
        assertThat(s.resolve("d").deadlines()).isEqualTo(new Deadlines(java.time.Duration.ofSeconds(120),
                java.time.Duration.ofSeconds(20), java.time.Duration.ofSeconds(8), java.time.Duration.ofSeconds(30),
                java.time.Duration.ofSeconds(3)));
        assertThat(withFakeQemu().resolve("d").deadlines()).isEqualTo(Deadlines.DEFAULTS);
        assertThatThrownBy(() -> ConfigLoader.load(toml("[vmsup]\nqmp_command_timeout = 0\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("qmp_command_timeout must be 1..3600");
        assertThatThrownBy(() -> ConfigLoader.load(toml("[vmsup]\nquit_timeout = \"5s\"\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("quit_timeout");
    }

    @Test
    void systemdCgroupIsKatasKeyWithAuto() throws IOException {
        Settings s = ConfigLoader.load(toml("""
                [runtime]
                systemd_cgroup = true
                [vmsup]
                cgroup_parent = "kubepods-burstable-pod1.slice:cri-containerd:abc"
                """)).qemuPath("/bin/true");
        SupervisorConfig c = s.resolve("sd");
        assertThat(c.systemdCgroup()).isEqualTo(SystemdCgroup.ON);
        assertThat(c.systemdScope()).isEqualTo(new dev.vmsup.cgroupfs.SystemdPath.Scope(
                "kubepods-burstable-pod1.slice", "cri-containerd-abc.scope"));
        assertThat(withFakeQemu().resolve("sd").systemdCgroup()).as("default").isEqualTo(SystemdCgroup.AUTO);
        assertThat(ConfigLoader.load(toml("[runtime]\nsystemd_cgroup = \"auto\"\n")).qemuPath("/bin/true")
                .resolve("sd").systemdCgroup()).isEqualTo(SystemdCgroup.AUTO);
        assertThatThrownBy(() -> withFakeQemu().systemdCgroup(SystemdCgroup.ON).resolve("sd"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("needs cgroup_parent in the systemd form");
        assertThatThrownBy(() -> ConfigLoader.load(toml("[runtime]\nsystemd_cgroup = \"maybe\"\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("expected off, on or auto");
    }

    @Test
    void aSliceSystemdRefusesIsAConfigError() {
        for (String parent : List.of("foobar@waldo.slice:vmsup:x", "foo@@bar.slice:vmsup:x", "foobar@.slice:vmsup:x")) {
            assertThatThrownBy(() -> withFakeQemu().cgroupParent(parent).resolve("sd")).as(parent)
                    .isInstanceOf(ConfigException.class).hasMessageContaining("cgroup_parent");
        }
    }
}
