package dev.vmsup.supervisor.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.cgroupfs.Prerequisites;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.KernelThreadInfo;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.config.Accel;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;

/**
 * A paused KVM VM on this host's real cgroup v1 hierarchies (the nested KVM here creates VMs, names vCPU threads
 * {@code CPU n/KVM}, takes CPU hotplug while paused, and makes a {@code kvm-pit/<QEMU pid>} kernel thread in the
 * root cgroup; only booting a guest hangs). The kernel thread is found here independently, by scanning every
 * process's {@code comm}, and its cgroups read from {@code /proc}.
 */
public class SandboxKvmTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.IN_PROCESS_V1).withQemu();
    private SandboxFixture f;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        requireKvm();
        f = fixture;
    }

    /**
     * Under CI=true a missing or unusable /dev/kvm fails the run, except on a machine whose kernel offers no KVM at
     * all: no /dev/kvm node, which no install step can bring, declared by scripts/test in {@code VMSUP_TEST_NO_KVM}.
     * There the KVM tests are skipped with that reason, and scripts/test names them as not tested at its end.
     */
    public static void requireKvm() {
        String noKvm = System.getenv("VMSUP_TEST_NO_KVM");
        if (noKvm != null && !noKvm.isBlank() && !Files.exists(Accel.KVM_DEVICE)) {
            Assumptions.abort("not tested on this machine: " + noKvm);
        }
        Prerequisites.require(Accel.kvmUsable(Accel.KVM_DEVICE), "a usable /dev/kvm (KVM can create VMs)");
    }

    /** Every process whose name is {@code name}, from a scan of all of /proc (not the code under test's way). */
    public static List<Integer> processesNamed(String name) throws IOException {
        List<Integer> found = new ArrayList<>();
        try (Stream<Path> all = Files.list(Path.of("/proc"))) {
            for (Path p : all.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readString(p.resolve("comm")).strip().equals(name)) {
                        found.add(Integer.parseInt(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // exited while scanning
                }
            }
        }
        return found;
    }

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void kvmPitJoinsQemuAndVcpusAreKvmThreadsPlacedAcrossAHotplug(boolean sandboxCgroupOnly) throws Exception {
        Settings settings = f.settings(sandboxCgroupOnly).accel(Accel.KVM);
        Sandbox s = f.start(settings.resolve("kvm"), Map.of());
        int pit;
        try {
            CgroupLayout l = s.layout();
            long qemu = s.snapshot().qemuPid();
            assertThat(SandboxFixture.threads(qemu)).containsValue("CPU 0/KVM");
            f.assertPlacement(s, 1);

            List<Integer> pits = processesNamed("kvm-pit/" + qemu);
            assertThat(pits).as("the kernel made one kvm-pit thread for this VM").hasSize(1);
            pit = pits.get(0);
            assertThat(f.hierarchy.isPlaced(l.qemu(), pit, pit)).as("kvm-pit in %s: %s", l.qemu(),
                    f.hierarchy.placementOf(pit, pit)).isTrue();
            assertThat(l.qemu()).isEqualTo(sandboxCgroupOnly ? l.sandbox() : l.overhead());
            assertThat(s.snapshot().kernelThreads()).extracting(KernelThreadInfo::pid, KernelThreadInfo::cgroup)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(pit, l.qemu().toString()));

            assertThat(s.resize(3)).hasSize(3).allMatch(VcpuInfo::placed);
            f.assertPlacement(s, 3);
            assertThat(SandboxFixture.threads(qemu)).containsValue("CPU 2/KVM");
            assertThat(f.hierarchy.isPlaced(l.qemu(), pit, pit)).as("kvm-pit still placed after the hotplug").isTrue();
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
        int gone = pit;
        Awaitility.await("kvm-pit ends with the VM").atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(gone).isEmpty());
    }
}
