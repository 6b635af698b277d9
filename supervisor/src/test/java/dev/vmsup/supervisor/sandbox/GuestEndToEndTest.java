package dev.vmsup.supervisor.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.cgroupfs.Prerequisites;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.cli.ExitCodes;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.TestImage;

/**
 * The whole product with a real guest: the test image (Debian kernel, busybox init) boots under TCG with a
 * virtiofs share, is resized 1 -> 3 -> 2 with the guest onlining and releasing CPUs, powers down on the ACPI
 * button, and nothing is left. Run alone with {@code mvn -B verify -pl supervisor -am -Dgroups=e2e}.
 */
@Tag("e2e")
class GuestEndToEndTest {
    private static final Duration BOOT = Duration.ofSeconds(90);

    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.IN_PROCESS_V1).withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;
    private Path kernel;
    private Path initrd;

    @BeforeEach
    void setUp(SandboxFixture fixture) throws Exception {
        f = fixture;
        TestImage image = TestImage.build();
        kernel = image.kernel();
        initrd = image.initrd();
    }

    private static void awaitSerial(Path serial, String line, Duration timeout) throws Exception {
        TestImage.awaitSerial(serial, line, timeout);
    }

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void bootsResizesSharesAndPowersDown(boolean sandboxCgroupOnly) throws Exception {
        Path share = Files.createDirectories(tmp.resolve("share"));
        byte[] probe = ("probe " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        Files.write(share.resolve("probe.txt"), probe);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(probe));
        Path serial = tmp.resolve("serial.log");

        Settings settings = f.settings(sandboxCgroupOnly);
        settings.paused(false);
        settings.memoryMib(256);
        settings.kernel(kernel.toString());
        settings.initrd(initrd.toString());
        settings.kernelParams("console=ttyS0 panic=-1 vmsup.share=e2e vmsup.probe=probe.txt");
        settings.share(share + ":e2e");
        settings.serial(serial.toString());
        Sandbox s = f.start(settings.resolve("e2e"), Map.of());
        long virtiofsd = s.snapshot().virtiofsdPid();
        try {
            awaitSerial(serial, "VMSUP-GUEST ready", BOOT);
            awaitSerial(serial, "VMSUP-GUEST virtiofs=ok sha256=" + sha, Duration.ZERO);
            awaitSerial(serial, "VMSUP-GUEST cpus-online=1", Duration.ofSeconds(10));
            assertThat(f.hierarchy.isPlaced(s.layout().supervisor(), (int) virtiofsd, (int) virtiofsd))
                    .as("virtiofsd in %s", s.layout().supervisor()).isTrue();

            assertThat(s.resize(3)).hasSize(3).allMatch(VcpuInfo::placed);
            f.assertPlacement(s, 3);
            awaitSerial(serial, "VMSUP-GUEST cpus-online=3", Duration.ofSeconds(60));

            assertThat(s.resize(2)).as("returns once the guest released the CPU").hasSize(2);
            f.assertPlacement(s, 2);
            awaitSerial(serial, "VMSUP-GUEST cpus-online=2", Duration.ofSeconds(30));

            // QEMU 7.2 under TCG segfaults on a hotplug after an unplug: vmsup refuses it and the VM lives on
            assertThatThrownBy(() -> s.resize(3)).isInstanceOf(ResizeException.class)
                    .hasMessageContaining("crashes on a CPU hotplug after a CPU unplug");
            assertThat(ProcessHandle.of(s.snapshot().qemuPid())).isPresent();
            f.assertPlacement(s, 2);

            s.requestStop("test");
            int code = CompletableFuture.supplyAsync(() -> ExitCodes.of(s.awaitStop())).get(60, TimeUnit.SECONDS);
            assertThat(code).isEqualTo(ExitCodes.OK);
            awaitSerial(serial, "VMSUP-GUEST poweroff", Duration.ZERO);
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
        assertThat(ProcessHandle.of(virtiofsd)).isEmpty();
        assertThat(s.config().virtiofsSocket()).doesNotExist();
        try (var left = Files.list(s.config().stateDir())) {
            assertThat(left).isEmpty();
        } catch (IOException gone) {
            assertThat(s.config().stateDir()).doesNotExist();
        }
    }
}
