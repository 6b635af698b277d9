package dev.vmsup.supervisor.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.supervisor.ctl.UnixHttpClient.Response;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.testing.ContractCheckingClient;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;

/**
 * Findings of an adversarial run, kept as tests (issue 18): a refused container change leaves nothing behind,
 * overflowing numbers are a 400 naming the field, idle and slow clients are cut off within bounds, and the
 * HTTP edge cases answer what the contract says. Real paused QEMU, real cgroup v1, the real unix socket.
 */
class ApiHardeningTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ApiLimits TIGHT = new ApiLimits(8, Duration.ofSeconds(1), Duration.ofSeconds(1));

    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.IN_PROCESS_V1).withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;
    private Sandbox s;
    private ApiServer api;
    private ContractCheckingClient http;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        f = fixture;
        s = f.start(f.settings(false).apiSocket("none").resolve("hard"), Map.of());
        api = ApiServer.start(f.vertx(), s, Metrics.attachTo(s), tmp.resolve("api.sock"), TIGHT);
        http = new ContractCheckingClient(api.socket());
    }

    @AfterEach
    void tearDown() {
        if (api != null) {
            api.close();
        }
    }

    private Path cpuFile(String name) {
        CgroupPath vcpu = s.layout().vcpu();
        return f.host.v1Mounts().get("cpu").resolve(vcpu.relative()).resolve(name);
    }

    private Map<String, String> vcpuCpuFiles() {
        return Map.of("period", CgroupFiles.read(cpuFile("cpu.cfs_period_us")).strip(),
                "quota", CgroupFiles.read(cpuFile("cpu.cfs_quota_us")).strip());
    }

    private JsonNode json(Response r) throws IOException {
        return MAPPER.readTree(r.body());
    }

    @Test
    void aContainerTheKernelRefusesIsRolledBackAndLaterChangesWork() throws Exception {
        assertThat(http.send("PUT", "/v1/containers/k0", "{\"cpu\": {\"quota\": 50000, \"period\": 100000}}").status())
                .isEqualTo(201);
        Map<String, String> before = vcpuCpuFiles();
        int beyond = Runtime.getRuntime().availableProcessors() + 3;
        Response refused = http.send("PUT", "/v1/containers/k1",
                "{\"cpu\": {\"quota\": 20000, \"period\": 1000, \"cpus\": \"" + beyond + "\"}}");
        assertThat(refused.status()).as(refused.body()).isEqualTo(400);
        assertThat(json(refused).path("error").asText()).isEqualTo("refused");
        assertThat(json(refused).path("message").asText()).contains("nothing changed", "cpuset.cpus");
        assertThat(json(http.send("GET", "/v1/containers", null)).has("k1")).as("k1 not recorded").isFalse();
        assertThat(vcpuCpuFiles()).as("the vcpu cgroup as before").isEqualTo(before);
        assertThat(s.snapshot().resourcesInForce().cpuMax().quotaUs()).isEqualTo(50000);

        assertThat(http.send("PUT", "/v1/containers/k2", "{\"cpu\": {\"quota\": 100000, \"period\": 100000}}").status())
                .isEqualTo(201);
        assertThat(vcpuCpuFiles()).containsEntry("quota", "150000");
        assertThat(http.send("PUT", "/v1/sandbox/vcpus", "{\"count\": 2}").status()).isEqualTo(200);
        f.assertPlacement(s, 2);
    }

    @Test
    void overflowingNumbersAreA400NamingTheFieldWithNoNegativeNumber() throws Exception {
        Map<String, String> before = vcpuCpuFiles();
        Response big = http.send("PUT", "/v1/containers/big",
                "{\"cpu\": {\"quota\": 9223372036854775807, \"period\": 1000}}");
        assertThat(big.status()).as(big.body()).isEqualTo(400);
        assertThat(json(big).path("message").asText()).contains("cpu.quota").doesNotContain("-");
        assertThat(vcpuCpuFiles()).as("nothing written").isEqualTo(before);
        Response sum = http.send("PUT", "/v1/containers/mem",
                "{\"memory\": {\"limit\": 9223372036854775807}, \"cpu\": {\"quota\": 1000, \"period\": 100000}}");
        assertThat(sum.status()).as(sum.body()).isIn(200, 201);
        Response more = http.send("PUT", "/v1/containers/mem2", "{\"memory\": {\"limit\": 9223372036854775807}}");
        assertThat(more.status()).as("memory sums saturate: no limit, never negative").isEqualTo(201);
        assertThat(s.snapshot().resourcesInForce().memoryMaxBytes()).satisfiesAnyOf(
                m -> assertThat(m).isNull(), m -> assertThat(m).isPositive());
        assertThat(json(http.send("GET", "/v1/containers", null)).has("big")).isFalse();
    }

    @Test
    void contentLengthOfAnyLengthIsCheckedAndCleartextHttp2IsRefused() throws Exception {
        String huge = raw("PUT /v1/sandbox/vcpus HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n{}");
        assertThat(huge).startsWith("HTTP/1.1 413");
        String bad = raw("PUT /v1/sandbox/vcpus HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\n{}");
        assertThat(bad).startsWith("HTTP/1.1 400");
        String priorKnowledge = raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assertThat(priorKnowledge).as("HTTP/2 with prior knowledge is refused").satisfiesAnyOf(
                r -> assertThat(r).isEmpty(), r -> assertThat(r).matches("(?s)HTTP/\\S+ [45]\\d\\d .*"));
        String upgrade = raw("GET /v1/sandbox HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
        // a switch would be a "101 Switching Protocols" status line; the body may hold "101" (a pid, the test's tag)
        assertThat(upgrade).as("no switch to h2c").startsWith("HTTP/1.1 200")
                .doesNotContainPattern("(?m)^HTTP/\\S+ 101\\b");
    }

    @Test
    void idleAndSlowClientsAreCutOffAndConnectionsAreCapped() throws Exception {
        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                idle.add(connect());
            }
            // half a request: its headers never end
            SocketChannel slow = connect();
            idle.add(slow);
            slow.write(ByteBuffer.wrap("GET /v1/sandbox HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII)));
            Awaitility.await("every idle or slow connection closed by the server").atMost(Duration.ofSeconds(10))
                    .until(() -> idle.stream().allMatch(ApiHardeningTest::closedByPeer));
            assertThat(http.send("GET", "/v1/sandbox", null).status()).as("the API still serves").isEqualTo(200);
        } finally {
            for (SocketChannel c : idle) {
                c.close();
            }
        }
    }

    @Test
    void anUnexpectedFailureDoesNotLeakItsJavaClassAndAStoppedExecutorIsAConflict() {
        ApiException internal = ApiErrors.translate(new IllegalStateException("boom"));
        assertThat(internal.status).isEqualTo(500);
        assertThat(internal.getMessage()).doesNotContain("IllegalStateException", "boom");
        ApiException rejected = ApiErrors.translate(new RejectedExecutionException("Task x rejected from y"));
        assertThat(rejected.status).isEqualTo(409);
        assertThat(rejected.getMessage()).doesNotContain("Task", "rejected from");
    }

    private SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(api.socket()));
        return ch;
    }

    /** True once the server has closed {@code ch} (a read sees the end of the stream). */
    private static boolean closedByPeer(SocketChannel ch) {
        try {
            ch.configureBlocking(false);
            ByteBuffer buf = ByteBuffer.allocate(4096);
            int n;
            while ((n = ch.read(buf)) > 0) {
                buf.clear();
            }
            return n < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** Sends {@code request} as is and returns what came back before the server closed or 3 s passed. */
    private String raw(String request) throws Exception {
        try (SocketChannel ch = connect()) {
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            ch.configureBlocking(false);
            StringBuilder got = new StringBuilder();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < deadline) {
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                if (n > 0) {
                    buf.flip();
                    got.append(StandardCharsets.US_ASCII.decode(buf));
                    buf.clear();
                    if (got.indexOf("\r\n\r\n") >= 0) {
                        break;
                    }
                } else {
                    Thread.sleep(20);
                }
            }
            return got.toString();
        }
    }
}
