package dev.vmsup.supervisor.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.supervisor.testing.ContractCheckingClient;
import dev.vmsup.supervisor.testing.InProcessCli;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.TestImage;
import dev.vmsup.supervisor.testing.VmsupProcess;

/**
 * The overhead advisor on a booted guest that reads its virtiofs share again and again (so virtiofsd, QEMU's I/O
 * threads and the guest's RAM are all busy): its figures against an independent /proc reading, within 5%, and the
 * CLI's RuntimeClass.
 */
@Tag("e2e")
class OverheadAdvisorEndToEndTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long GUEST = 256L << 20;

    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.ALL_V1).withQemu();
    @TempDir
    Path tmp;

    @Test
    void theAdvisorsFiguresMatchProcOnABusyBootedGuest(SandboxFixture f) throws Exception {
        TestImage image = TestImage.build();
        Path share = Files.createDirectories(tmp.resolve("share"));
        Files.write(share.resolve("data.bin"), new byte[8 << 20]);
        Path state = tmp.resolve("state");
        Path serial = tmp.resolve("serial.log");
        try (VmsupProcess vmsup = VmsupProcess.start("run", "--id", "adv", "--accel", "tcg", "--memory", "256",
                "--kernel", image.kernel().toString(), "--initrd", image.initrd().toString(),
                "--append", "console=ttyS0 panic=-1 vmsup.share=work vmsup.busy=40", "--share", share + ":work",
                "--serial", serial.toString(), "--cgroup-parent", f.parent().toString(),
                "--overhead-cgroup", f.overheadRoot().toString(), "--state-dir", state.toString())) {
            long qemu = vmsup.awaitStarted(180_000);
            long self = vmsup.process.pid();
            TestImage.awaitSerial(serial, "VMSUP-GUEST ready", Duration.ofSeconds(120));
            Thread.sleep(12_000); // a few samples of the guest at work
            ContractCheckingClient api = new ContractCheckingClient(state.resolve("api.sock"));
            long vfsd = MAPPER.readTree(api.send("GET", "/v1/stats", null).body()).path("processes").path("virtiofsd")
                    .path("pid").asLong();
            JsonNode r = MAPPER.readTree(api.send("GET", "/v1/overhead?window=30", null).body());

            List<Long> pids = new ArrayList<>(List.of(self, qemu));
            pids.addAll(OverheadAccountingChecks.family(vfsd));
            assertThat(pids).as("virtiofsd forks a child into its sandbox").hasSizeGreaterThanOrEqualTo(4);
            long independent = 0;
            for (long pid : pids) {
                independent += OverheadAccountingChecks.rollup(pid).get("Pss")
                        - OverheadAccountingChecks.guestPss(pid, GUEST);
            }
            long memory = r.path("memory_bytes").path("total").path("current").asLong();
            assertThat((double) memory).as("memory outside the guest's RAM: %s, /proc says %d", r, independent)
                    .isCloseTo(independent, within(0.05 * independent));
            long resident = OverheadAccountingChecks.guestRam(qemu, GUEST, "Rss:");
            assertThat(resident).as("the booted guest has touched its RAM").isGreaterThan(16L << 20);
            assertThat((double) r.path("guest").path("ram_resident_bytes").path("current").asLong())
                    .isCloseTo(resident, within(0.05 * resident));
            assertThat(r.path("cpu_millicores").path("virtiofsd").path("max").asLong())
                    .as("virtiofsd served the guest's reads: %s", r).isPositive();
            assertThat(r.path("cpu_millicores").path("qemu_vcpus").path("max").asLong()).isPositive();
            assertThat(r.path("samples").asInt()).isGreaterThanOrEqualTo(3);

            InProcessCli cli = InProcessCli.run("overhead", "--api-socket", state.resolve("api.sock").toString(),
                    "--runtime-class", "kata-vmsup");
            assertThat(cli.code()).as(cli.err()).isZero();
            assertThat(cli.out()).contains("memory (PSS)", "virtiofsd", "kind: RuntimeClass", "name: kata-vmsup",
                    "podFixed:", "cpu: \"", "memory: \"");
            InProcessCli watch = InProcessCli.run("overhead", "--api-socket", state.resolve("api.sock").toString(),
                    "--watch", "--every", "1", "--count", "2", "--window", "10");
            assertThat(watch.code()).as(watch.err()).isZero();
            assertThat(watch.out().split("kind: RuntimeClass", -1)).as("two reports").hasSize(3);

            vmsup.process.toHandle().destroy();
            assertThat(vmsup.awaitExit(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(f.leftoverSandboxCgroups()).isEmpty();
    }
}
