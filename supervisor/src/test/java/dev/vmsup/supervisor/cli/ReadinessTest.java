package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import dev.vmsup.supervisor.api.ApiServer;
import dev.vmsup.supervisor.api.Metrics;
import dev.vmsup.supervisor.ctl.UnixHttpClient;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.VmsupProcess;

/**
 * How a runtime learns that a sandbox is ready without polling (issue 15): the --ready-fd line (a real pipe: a
 * FIFO the test reads, handed to vmsup as fd 3), sd_notify datagrams on NOTIFY_SOCKET, and an API socket that no
 * client can reach before it accepts (many starts in a row, a client spinning on the socket file).
 */
class ReadinessTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.ALL_V1).withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        f = fixture;
    }

    /** vmsup with fd 3 the write end of a fresh FIFO; the future gets every line written to it, at its EOF. */
    private record Spawned(VmsupProcess vmsup, CompletableFuture<List<String>> lines) {
    }

    private Spawned withReadyFd(String name, List<String> args) throws Exception {
        CompletableFuture<List<String>> lines = new CompletableFuture<>();
        VmsupProcess vmsup = VmsupProcess.startWithReadyFd(tmp.resolve(name + ".fifo"), lines,
                args.toArray(String[]::new));
        return new Spawned(vmsup, lines);
    }

    @Test
    void oneLineWhenReadyThenEofAndTheApiAnswersAtOnce() throws Exception {
        Path state = tmp.resolve("ready");
        Spawned s = withReadyFd("ready", List.of(f.pausedRunArgs("ready", state)));
        try (VmsupProcess vmsup = s.vmsup()) {
            List<String> lines = s.lines().get(60, TimeUnit.SECONDS);
            assertThat(lines).as(vmsup.output()).hasSize(1);
            JsonNode ready = MAPPER.readTree(lines.get(0));
            assertThat(ready.path("ready").asBoolean()).isTrue();
            assertThat(ready.path("pid").asLong()).isEqualTo(vmsup.process.pid());
            assertThat(ready.path("state").asText()).isEqualTo("paused");
            assertThat(ready.path("api_socket").asText()).isEqualTo(state.resolve("api.sock").toString());
            long qemu = ready.path("qemu_pid").asLong();
            assertThat(SandboxFixture.vcpuThreads(qemu)).allSatisfy(tid -> assertThat(f.hierarchy.isPlaced(
                    f.parent().child("kata_ready").child("vcpu"), (int) qemu, tid)).isTrue());
            UnixHttpClient.Response r = new UnixHttpClient(state.resolve("api.sock")).send("GET", "/v1/sandbox", null);
            assertThat(r.status()).as("no polling: the API answers the moment ready is said").isEqualTo(200);
            vmsup.process.toHandle().destroy();
            assertThat(vmsup.awaitExit(20, TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).isZero();
        }
    }

    @Test
    void aFailedStartSaysWhyOnTheReadyFdAndExitsNonZero() throws Exception {
        Path notADir = Files.writeString(tmp.resolve("a-file"), "x");
        Spawned s = withReadyFd("failed", List.of(f.pausedRunArgs("failed", notADir)));
        try (VmsupProcess vmsup = s.vmsup()) {
            List<String> lines = s.lines().get(60, TimeUnit.SECONDS);
            assertThat(vmsup.awaitExit(20, TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).isEqualTo(ExitCodes.FAILURE);
            assertThat(lines).hasSize(1);
            JsonNode failed = MAPPER.readTree(lines.get(0));
            assertThat(failed.path("ready").asBoolean()).isFalse();
            assertThat(failed.path("exit_code").asInt()).isEqualTo(ExitCodes.FAILURE);
            assertThat(failed.path("error").asText()).contains("not a directory");
        }
        assertThat(f.leftoverSandboxCgroups()).isEmpty();
    }

    @Test
    void aReadyFdThatIsNotOpenIsAUsageError() throws Exception {
        List<String> argv = new ArrayList<>(List.of(f.pausedRunArgs("nofd", tmp.resolve("nofd"))));
        argv.addAll(List.of("--ready-fd", "97"));
        try (VmsupProcess vmsup = VmsupProcess.start(argv.toArray(String[]::new))) {
            assertThat(vmsup.awaitExit(30, TimeUnit.SECONDS)).isTrue();
            assertThat(vmsup.process.exitValue()).isEqualTo(ExitCodes.USAGE);
            assertThat(vmsup.output()).contains("--ready-fd 97", "not an open pipe or socket");
        }
        assertThat(tmp.resolve("nofd")).doesNotExist();
    }

    @Test
    void sdNotifyGetsReadyThenStopping() throws Exception {
        Path sock = tmp.resolve("notify.sock");
        try (UnixDatagramChannel notify = UnixDatagramChannel.open()) {
            notify.bind(new UnixSocketAddress(sock.toFile()));
            try (VmsupProcess vmsup = VmsupProcess.startWrapped(List.of("/usr/bin/env", "NOTIFY_SOCKET=" + sock),
                    f.pausedRunArgs("notified", tmp.resolve("notified")))) {
                String ready = receive(notify, Duration.ofSeconds(60));
                assertThat(ready).contains("READY=1", "MAINPID=" + vmsup.process.pid(), "STATUS=sandbox notified paused");
                vmsup.process.toHandle().destroy();
                assertThat(receive(notify, Duration.ofSeconds(20))).contains("STOPPING=1", "SIGTERM");
                assertThat(vmsup.awaitExit(20, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    /** One datagram, or an AssertionError after {@code timeout} (the blocking receive runs on its own thread). */
    private static String receive(UnixDatagramChannel ch, Duration timeout) throws Exception {
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
            ByteBuffer buf = ByteBuffer.allocate(4096);
            try {
                ch.receive(buf);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            buf.flip();
            return StandardCharsets.UTF_8.decode(buf).toString();
        });
        try {
            return got.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no sd_notify datagram within " + timeout);
        }
    }

    /**
     * The accept race seen on a 16-core host (an early client dropped while Vert.x set up its acceptor): 200 API
     * starts in a row, each with a client that connects the moment the socket file appears. Every one is answered.
     */
    @Test
    void noClientThatConnectsTheMomentTheSocketAppearsIsDropped() throws Exception {
        Sandbox s = f.start(f.settings(false).apiSocket("none").resolve("race"), Map.of());
        Metrics metrics = Metrics.attachTo(s);
        for (int i = 0; i < 200; i++) {
            Path sock = tmp.resolve("race-" + i + ".sock");
            CompletableFuture<Integer> client = CompletableFuture.supplyAsync(() -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!Files.exists(sock) && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                try {
                    return new UnixHttpClient(sock, Duration.ofSeconds(20)).send("GET", "/v1/sandbox", null).status();
                } catch (IOException e) {
                    return -1;
                }
            });
            ApiServer api = ApiServer.start(f.vertx(), s, metrics, sock);
            try {
                assertThat(client.get(30, TimeUnit.SECONDS)).as("start %d", i).isEqualTo(200);
            } finally {
                api.close();
            }
        }
    }
}
