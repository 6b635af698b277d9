package dev.vmsup.supervisor.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Prerequisites;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;

/**
 * The supervisor's placement on a real cgroup v2 kernel with controllers (run by scripts/test-v2-guest inside a
 * guest booted with cgroup_no_v1=all), with a paused nested QEMU and a real virtiofsd: the layout Kata cannot
 * build on v2, with limits enforced.
 */
@Tag("v2-kernel")
class SandboxV2KernelTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v2().withQemu();
    private SandboxFixture f;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        CgroupHost host = CgroupHost.detect();
        Prerequisites.require(host.mode() == CgroupHost.Mode.V2 && host.unifiedControllers().contains("cpu"),
                "a pure cgroup v2 host with the cpu controller");
        f = fixture;
    }

    private String read(CgroupPath cgroup, String file) {
        return CgroupFiles.read(f.host.unifiedMount().resolve(cgroup.relative()).resolve(file)).strip();
    }

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void placesEverythingWhereTheDesignSaysWithLimitsInForce(boolean sandboxCgroupOnly) throws Exception {
        Path share = Files.createDirectories(f.tmp.resolve("share"));
        Settings settings = f.settings(sandboxCgroupOnly);
        settings.share(share + ":v2");
        settings.memoryOverheadMib(512);
        Sandbox s = f.start(settings.resolve("v2k"), SandboxV1Test.TWO_CONTAINERS_WITH_MEMORY);
        try {
            CgroupLayout l = s.layout();
            long vfs = s.snapshot().virtiofsdPid();
            assertThat(l.qemu()).isEqualTo(l.sandbox());
            if (sandboxCgroupOnly) {
                assertThat(l.supervisor()).isEqualTo(l.sandbox());
            } else {
                assertThat(l.supervisor()).isEqualTo(f.overheadRoot().child("v2k"));
            }
            assertThat(f.hierarchy.isPlaced(l.supervisor(), (int) vfs, (int) vfs)).as("virtiofsd").isTrue();
            assertThat(read(l.sandbox(), "cgroup.type")).isEqualTo("domain threaded");
            assertThat(read(l.vcpu(), "cgroup.type")).isEqualTo("threaded");
            f.assertPlacement(s, 1);
            assertThat(read(l.vcpu(), "cpu.max")).isEqualTo("250000 200000");
            if (sandboxCgroupOnly) {
                assertThat(read(l.sandbox(), "memory.max")).isEqualTo(Long.toString((384L + 512L) << 20));
            } else {
                assertThat(read(l.sandbox(), "memory.max")).as("mode false limits vCPUs only").isEqualTo("max");
            }

            CgroupFiles.write(f.host.unifiedMount().resolve(l.vcpu().relative()).resolve("cpu.max"), "300000 200000");
            s.resize(3);
            f.assertPlacement(s, 3);
            assertThat(read(l.vcpu(), "cpu.max")).as("rewritten after the hotplug").isEqualTo("250000 200000");
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
    }
}
