package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.SystemdPath;
import dev.vmsup.supervisor.ctl.UnixHttpClient;
import dev.vmsup.supervisor.testing.ContractCheckingClient;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.TestImage;
import dev.vmsup.supervisor.testing.VmsupProcess;

/**
 * A CRI runtime's life with one sandbox, played against a booted guest (issue 15): spawn {@code vmsup run} with
 * {@code --ready-fd} and the pod's cgroup parent in cgroupfs form or systemd {@code slice:prefix:name} form, add
 * two containers (OCI LinuxResources), update one, remove one, resize, shut down, watching the events. After each
 * step the cgroup files and the threads' placement are read independently from cgroupfs and /proc; at the end
 * nothing is left.
 */
@Tag("e2e")
class RuntimeLifeTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.ALL_V1).withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;
    private TestImage image;

    @BeforeEach
    void setUp(SandboxFixture fixture) throws Exception {
        f = fixture;
        image = TestImage.build();
    }

    private String cpuFile(CgroupPath cgroup, String name) throws IOException {
        return Files.readString(f.host.v1Mounts().get("cpu").resolve(cgroup.relative()).resolve(name)).strip();
    }

    private void assertQuota(CgroupPath vcpu, String quota, String period) throws IOException {
        assertThat(cpuFile(vcpu, "cpu.cfs_quota_us")).isEqualTo(quota);
        assertThat(cpuFile(vcpu, "cpu.cfs_period_us")).isEqualTo(period);
    }

    private void assertVcpusPlaced(long qemu, CgroupPath vcpu, int count) {
        List<Integer> threads = SandboxFixture.vcpuThreads(qemu);
        assertThat(threads).hasSize(count);
        assertThat(threads).allSatisfy(tid -> assertThat(f.hierarchy.isPlaced(vcpu, (int) qemu, tid)).isTrue());
    }

    @ParameterizedTest(name = "cgroup parent in {0} form")
    @ValueSource(strings = {"cgroupfs", "systemd"})
    void aRuntimeDrivesOneSandboxThroughItsLife(String form) throws Exception {
        String slice = "vmsuptest" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()) + ".slice";
        String parentText = form.equals("cgroupfs") ? f.parent().toString() : slice + ":cri:pod1";
        CgroupPath parent = SystemdPath.parseAny(parentText);
        CgroupPath sandbox = parent.child("kata_cri");
        CgroupPath vcpu = sandbox.child("vcpu");
        Path state = tmp.resolve("state");
        Path serial = tmp.resolve("serial.log");
        CompletableFuture<List<String>> ready = new CompletableFuture<>();
        List<JsonNode> events = Collections.synchronizedList(new ArrayList<>());
        try (VmsupProcess vmsup = VmsupProcess.startWithReadyFd(tmp.resolve("ready.fifo"), ready,
                "run", "--id", "cri", "--accel", "tcg", "--memory", "256", "--kernel", image.kernel().toString(),
                "--initrd", image.initrd().toString(), "--append", "console=ttyS0 panic=-1", "--serial",
                serial.toString(), "--cgroup-parent", parentText, "--overhead-cgroup", f.overheadRoot().toString(),
                "--state-dir", state.toString())) {
            JsonNode line = MAPPER.readTree(ready.get(90, TimeUnit.SECONDS).get(0));
            assertThat(line.path("ready").asBoolean()).as(vmsup.output()).isTrue();
            long qemu = line.path("qemu_pid").asLong();
            Path socket = Path.of(line.path("api_socket").asText());
            watch(socket, events);
            ContractCheckingClient api = new ContractCheckingClient(socket);
            TestImage.awaitSerial(serial, "VMSUP-GUEST ready", Duration.ofSeconds(120));
            assertVcpusPlaced(qemu, vcpu, 1);
            assertQuota(vcpu, "-1", "100000");

            assertThat(api.send("PUT", "/v1/containers/c1", "{\"cpu\": {\"quota\": 50000, \"period\": 100000, "
                    + "\"shares\": 512}, \"memory\": {\"limit\": 268435456}}").status()).isEqualTo(201);
            assertThat(api.send("PUT", "/v1/containers/c2", "{\"cpu\": {\"quota\": 150000, \"period\": 200000}}")
                    .status()).isEqualTo(201);
            assertQuota(vcpu, "250000", "200000"); // 0.5 + 0.75 CPUs over the largest period
            assertThat(api.send("PUT", "/v1/containers/c1", "{\"cpu\": {\"quota\": 100000, \"period\": 100000}}")
                    .status()).isEqualTo(200);
            assertQuota(vcpu, "350000", "200000");
            assertThat(api.send("DELETE", "/v1/containers/c2", null).status()).isEqualTo(204);
            assertQuota(vcpu, "100000", "100000");

            assertThat(api.send("PUT", "/v1/sandbox/vcpus", "{\"count\": 3}").status()).isEqualTo(200);
            assertVcpusPlaced(qemu, vcpu, 3);
            assertQuota(vcpu, "100000", "100000");
            assertThat(f.hierarchy.isPlaced(f.overheadRoot().child("cri"), (int) qemu, (int) qemu))
                    .as("QEMU's own threads in the overhead cgroup").isTrue();

            assertThat(api.send("PUT", "/v1/sandbox/actions", "{\"action\": \"shutdown\"}").status()).isEqualTo(202);
            assertThat(vmsup.awaitExit(60, TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).as(vmsup.output()).isZero();

            Awaitility.await("the last events").atMost(Duration.ofSeconds(10)).until(() ->
                    events.stream().anyMatch(e -> e.path("type").asText().equals("qemu_exit")));
            List<String> seen = events.stream().map(e -> e.path("type").asText() + ":" + e.path("action").asText("")
                    + e.path("id").asText("")).toList();
            assertThat(seen).containsSubsequence("subscribed:", "container:addedc1", "container:addedc2",
                    "container:replacedc1", "container:removedc2", "vcpu_placed:", "vcpu_placed:", "resize:",
                    "stopping:", "qemu_exit:");
            assertThat(ProcessHandle.of(qemu)).isEmpty();
            assertThat(f.leftoverSandboxCgroups()).isEmpty();
            assertThat(f.hierarchy.exists(sandbox)).isFalse();
            assertThat(state.resolve("api.sock")).doesNotExist();
        } finally {
            if (form.equals("systemd")) {
                f.hierarchy.remove(CgroupPath.of("/" + slice)); // the slice this test named; vmsup never removes a parent
            }
        }
    }

    /** Collects the sandbox's events on a thread of its own until the stream ends. */
    private static void watch(Path socket, List<JsonNode> events) {
        Thread t = new Thread(() -> {
            try {
                new UnixHttpClient(socket).stream("/v1/events", l -> {
                    try {
                        events.add(MAPPER.readTree(l));
                    } catch (IOException e) {
                        return false;
                    }
                    return true;
                });
            } catch (IOException ignored) {
                // the stream ends with vmsup
            }
        }, "events");
        t.setDaemon(true);
        t.start();
        Awaitility.await("subscribed").atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty());
    }
}
