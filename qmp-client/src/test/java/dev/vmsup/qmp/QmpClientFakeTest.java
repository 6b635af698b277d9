package dev.vmsup.qmp;

import static dev.vmsup.qmp.QmpTestSupport.await;
import static dev.vmsup.qmp.QmpTestSupport.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import dev.vmsup.json.JsonTrees;
import dev.vmsup.qmp.fake.CpuHotplugModel;
import dev.vmsup.qmp.fake.QmpFake;
import dev.vmsup.qmp.fake.RecordedRequest;

/** The client against the scriptable fake: every behaviour and every fault real QEMU won't produce on demand. */
class QmpClientFakeTest {
    private static Vertx vertx;

    @TempDir
    Path tmp;
    private QmpFake fake;
    private QmpClient client;

    @BeforeAll
    static void startVertx() {
        vertx = QmpTestSupport.vertx();
    }

    @AfterAll
    static void stopVertx() {
        await(vertx.close());
    }

    @BeforeEach
    void startFake() {
        fake = QmpFake.start(tmp.resolve("qmp.sock"));
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        fake.close();
    }

    private QmpClient connect(QmpOptions options) {
        client = await(QmpClient.connect(vertx, fake.socket(), options));
        return client;
    }

    private QmpClient connect() {
        return connect(QmpOptions.DEFAULTS);
    }

    private static ObjectNode args(String json) {
        try {
            return (ObjectNode) JsonTrees.read(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void readsTheGreetingAndNegotiatesWithoutOobUnlessAsked() throws Exception {
        connect();
        assertThat(client.greeting().version().qemu().major()).isEqualTo(7);
        assertThat(client.greeting().capabilities()).containsExactly("oob");
        assertThat(client.oobEnabled()).isFalse();
        RecordedRequest first = fake.takeRequest(Duration.ofSeconds(1));
        assertThat(first.command()).isEqualTo("qmp_capabilities");
        assertThat(first.arguments().isEmpty()).isTrue();
    }

    @Test
    void enablesOobOnlyWhenOfferedAndRequested() throws Exception {
        connect(QmpOptions.DEFAULTS.withRequestOob(true));
        assertThat(client.oobEnabled()).isTrue();
        assertThat(fake.takeRequest(Duration.ofSeconds(1)).arguments().toString()).isEqualTo("{\"enable\":[\"oob\"]}");
        fake.stub("query-status").returns("{\"status\": \"running\", \"running\": true}");
        await(client.executeOob("query-status", null, Duration.ofSeconds(5)));
        assertThat(fake.requests().get(1).outOfBand()).isTrue();
        client.close();

        fake.greeting("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"\"},"
                + " \"capabilities\": []}}");
        connect(QmpOptions.DEFAULTS.withRequestOob(true));
        assertThat(client.oobEnabled()).isFalse();
        assertThat(fake.requests().get(2).arguments().isEmpty()).isTrue();
        assertThat(failure(client.executeOob("query-status", null, Duration.ofSeconds(1))))
                .hasMessageContaining("not negotiated");
    }

    @Test
    void theFakeRefusesCommandsBeforeNegotiationLikeQemu() throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(fake.socket()));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(ch);
            assertThat(in.readLine()).contains("\"QMP\"");
            out.write("{\"execute\": \"query-status\", \"id\": 1}\n".getBytes(StandardCharsets.UTF_8));
            assertThat(in.readLine()).contains("CommandNotFound", "Expecting capabilities negotiation");
            out.write("{\"execute\": \"qmp_capabilities\", \"id\": 2}\n".getBytes(StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("{\"return\":{},\"id\":2}");
        }
    }

    @Test
    void executeReturnsTheValueAndEveryRequestHasItsOwnId() {
        connect();
        fake.stub("query-status").returns("{\"status\": \"prelaunch\", \"running\": false, \"added-later\": 1}");
        QmpStatus status = await(new QmpCommands(client).queryStatus());
        assertThat(status).isEqualTo(new QmpStatus("prelaunch", false));
        await(client.execute("query-status"));
        List<RecordedRequest> requests = fake.requests();
        assertThat(requests).extracting(r -> r.id().asText()).doesNotHaveDuplicates().allMatch(id -> !id.isEmpty());
        fake.verify("query-status", 2);
    }

    @Test
    void repliesLargerThanTheLineBufferArriveWholeAndSmallOnesStillWorkAfter() {
        connect();
        // 200 KB: far over the channel's first buffer, delivered by the socket in many reads
        String big = "x".repeat(200_000);
        fake.stub("query-big").returns("{\"data\": \"" + big + "\"}");
        fake.stub("query-status").returns("{\"status\": \"paused\", \"running\": false}");
        for (int i = 0; i < 3; i++) {
            assertThat(await(client.execute("query-big")).get("data").asText()).isEqualTo(big);
            assertThat(await(new QmpCommands(client).queryStatus())).isEqualTo(new QmpStatus("paused", false));
        }
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void anErrorReplyIsATypedException() {
        connect();
        fake.stub("device_add").withArguments("{\"socket-id\": 9}").fails("GenericError", "Invalid CPU socket-id: 9");
        Throwable e = failure(client.execute("device_add", args("{\"driver\": \"x\", \"socket-id\": 9}")));
        assertThat(e).isInstanceOfSatisfying(QmpErrorException.class, q -> {
            assertThat(q.errorClass()).isEqualTo("GenericError");
            assertThat(q.desc()).isEqualTo("Invalid CPU socket-id: 9");
            assertThat(q.command()).isEqualTo("device_add");
        });
        assertThat(failure(client.execute("no-such-command")))
                .isInstanceOfSatisfying(QmpErrorException.class, q -> assertThat(q.errorClass()).isEqualTo("CommandNotFound"));
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void concurrentCallsWhoseRepliesArriveOutOfOrder() {
        connect();
        fake.stub("slow").delay(Duration.ofMillis(400)).returns("{\"n\": 1}");
        fake.stub("fast").returns("{\"n\": 2}");
        Future<JsonNode> slow = client.execute("slow");
        Future<JsonNode> fast = client.execute("fast");
        assertThat(await(fast).get("n").asInt()).isEqualTo(2);
        assertThat(slow.isComplete()).as("the slow reply comes second").isFalse();
        assertThat(await(slow).get("n").asInt()).isEqualTo(1);
    }

    @Test
    void eventsInterleavedWithRepliesNeverDisturbMatching() {
        connect();
        List<QmpEvent> all = new CopyOnWriteArrayList<>();
        List<QmpEvent> named = new CopyOnWriteArrayList<>();
        List<QmpEvent> filtered = new CopyOnWriteArrayList<>();
        client.subscribe(null, null, all::add);
        client.subscribe("ACPI_DEVICE_OST", null, named::add);
        Subscription sub = client.subscribe("ACPI_DEVICE_OST", d -> d.path("info").path("source").asInt() == 3,
                filtered::add);
        fake.stub("query-status").delay(Duration.ofMillis(200)).returns("{\"status\": \"running\", \"running\": true}")
                .thenEmit("RESUME", null);
        Future<JsonNode> reply = client.execute("query-status");
        fake.emit("ACPI_DEVICE_OST", "{\"info\": {\"source\": 3, \"status\": 132, \"device\": \"cpu-1\"}}");
        fake.emit("ACPI_DEVICE_OST", "{\"info\": {\"source\": 1, \"status\": 0}}");
        fake.emit("STOP", null);
        assertThat(await(reply).get("status").asText()).isEqualTo("running");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(all).hasSize(4));
        assertThat(all).extracting(QmpEvent::name).containsExactly("ACPI_DEVICE_OST", "ACPI_DEVICE_OST", "STOP", "RESUME");
        assertThat(named).hasSize(2);
        assertThat(filtered).singleElement().satisfies(e -> assertThat(e.data().path("info").path("device").asText())
                .isEqualTo("cpu-1"));
        assertThat(all.get(2).data().isEmpty()).isTrue();
        assertThat(all.get(0).seconds()).isPositive();

        sub.cancel();
        fake.emit("ACPI_DEVICE_OST", "{\"info\": {\"source\": 3}}");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(named).hasSize(3));
        assertThat(filtered).hasSize(1);
    }

    @Test
    void aWaiterRegisteredBeforeTheCommandCannotMissItsEvent() {
        connect();
        fake.stub("device_del").thenEmit("DEVICE_DELETED", "{\"device\": \"cpu-1\", \"path\": \"/machine/peripheral/cpu-1\"}");
        Future<QmpEvent> deleted = client.waitForEvent("DEVICE_DELETED",
                d -> "cpu-1".equals(d.path("device").asText()), Duration.ofSeconds(5));
        await(new QmpCommands(client).deviceDel("cpu-1"));
        assertThat(await(deleted).data().path("path").asText()).isEqualTo("/machine/peripheral/cpu-1");
        assertThat(failure(client.waitForEvent("NEVER", null, Duration.ofMillis(50))))
                .isInstanceOf(QmpTimeoutException.class);
    }

    @Test
    void aCallTimesOutAndTheConnectionStaysUsable() {
        connect();
        fake.stub("hang").neverReplies();
        fake.stub("query-status").returns("{\"status\": \"running\", \"running\": true}");
        assertThat(failure(client.execute("hang", null, Duration.ofMillis(100))))
                .isInstanceOf(QmpTimeoutException.class).hasMessageContaining("hang");
        assertThat(await(client.execute("query-status")).get("running").asBoolean()).isTrue();
    }

    @Test
    void onDisconnectAllPendingCallsFailAtOnceAndLaterCallsFailFast() {
        connect();
        fake.stub("hang").neverReplies();
        Future<JsonNode> a = client.execute("hang", null, Duration.ofSeconds(30));
        Future<JsonNode> b = client.execute("hang", null, Duration.ofSeconds(30));
        Future<QmpEvent> waiter = client.waitForEvent("SHUTDOWN", null, Duration.ofSeconds(30));
        await().until(() -> fake.count("hang") == 2);
        fake.closeConnection();
        assertThat(failure(a)).isInstanceOf(QmpDisconnectedException.class).hasMessageContaining("hang");
        assertThat(failure(b)).isInstanceOf(QmpDisconnectedException.class);
        assertThat(failure(waiter)).isInstanceOf(QmpDisconnectedException.class);
        await(client.closeFuture());
        Future<JsonNode> later = client.execute("query-status");
        assertThat(later.failed()).as("fails without waiting").isTrue();
        assertThat(later.cause()).isInstanceOf(QmpDisconnectedException.class);
    }

    @Test
    void anOversizedLineIsAProtocolErrorThatClosesTheConnection() {
        connect(QmpOptions.DEFAULTS.withMaxLineBytes(1024));
        fake.stub("hang").neverReplies();
        Future<JsonNode> pending = client.execute("hang", null, Duration.ofSeconds(30));
        await().until(() -> fake.count("hang") == 1);
        fake.sendOversizedLine(4096);
        Throwable e = failure(pending);
        assertThat(e).isInstanceOf(QmpDisconnectedException.class);
        assertThat(client.closeCause()).isInstanceOf(QmpProtocolException.class).hasMessageContaining("1024 bytes");
    }

    @Test
    void malformedJsonClosesTheConnectionAndFailsPendingCalls() {
        connect();
        fake.stub("hang").neverReplies();
        Future<JsonNode> pending = client.execute("hang", null, Duration.ofSeconds(30));
        await().until(() -> fake.count("hang") == 1);
        fake.sendMalformedLine();
        assertThat(failure(pending)).isInstanceOf(QmpDisconnectedException.class).hasCauseInstanceOf(QmpProtocolException.class);
        assertThat(client.closeCause()).hasMessageContaining("malformed JSON");
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void aPartialLineThenCloseFailsPendingCalls() {
        connect();
        fake.stub("hang").neverReplies();
        Future<JsonNode> pending = client.execute("hang", null, Duration.ofSeconds(30));
        await().until(() -> fake.count("hang") == 1);
        fake.sendPartialLineThenClose();
        assertThat(failure(pending)).isInstanceOf(QmpDisconnectedException.class);
    }

    @Test
    void repliesWithUnknownIdsAreDropped() {
        connect();
        fake.sendReplyWithUnknownId();
        fake.stub("odd").replyWithId("someone-else");
        fake.stub("query-status").returns("{\"status\": \"running\", \"running\": true}");
        assertThat(failure(client.execute("odd", null, Duration.ofMillis(200)))).isInstanceOf(QmpTimeoutException.class);
        assertThat(await(client.execute("query-status")).get("status").asText()).isEqualTo("running");
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void stubsCanCloseTheConnectionAfterReplying() {
        connect();
        fake.stub("quit").closesConnection();
        await(new QmpCommands(client).quit());
        await(client.closeFuture());
        assertThat(client.closeCause()).isInstanceOf(QmpDisconnectedException.class);
    }

    @Test
    void aBadGreetingFailsTheConnect() {
        fake.greeting("{\"QMP\": {\"capabilities\": []}}");
        Throwable e = failure(QmpClient.connect(vertx, fake.socket(), QmpOptions.DEFAULTS));
        assertThat(e).isInstanceOf(QmpProtocolException.class).hasMessageContaining("greeting");
    }

    @Test
    void connectRetriesUntilTheSocketAppears() throws Exception {
        Path later = tmp.resolve("later.sock");
        Thread starter = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException ignored) {
                return;
            }
            QmpFake lateFake = QmpFake.start(later);
            fakesToClose.add(lateFake);
        });
        starter.start();
        try {
            client = await(QmpClient.connectWithRetry(vertx, later, QmpOptions.DEFAULTS));
            assertThat(client.greeting().version().toString()).startsWith("7.2.0");
        } finally {
            starter.join();
            fakesToClose.forEach(QmpFake::close);
        }
    }

    private final List<QmpFake> fakesToClose = new CopyOnWriteArrayList<>();

    @Test
    void connectGivesUpAtTheDeadline() {
        long start = System.nanoTime();
        Throwable e = failure(QmpClient.connectWithRetry(vertx, tmp.resolve("never.sock"),
                QmpOptions.DEFAULTS.withConnectDeadline(Duration.ofMillis(300))));
        assertThat(e).isInstanceOf(QmpDisconnectedException.class).hasMessageContaining("not ready within 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void cpuHotplugModelAnswersConsistently() {
        connect();
        CpuHotplugModel model = fake.cpus(1, 4, index -> 5000 + index);
        QmpCommands qmp = new QmpCommands(client);

        List<HotpluggableCpu> slots = await(qmp.queryHotpluggableCpus());
        assertThat(slots).hasSize(4).filteredOn(HotpluggableCpu::plugged).hasSize(1);
        HotpluggableCpu empty = slots.stream().filter(s -> !s.plugged())
                .min((x, y) -> Long.compare(x.props().get("socket-id"), y.props().get("socket-id"))).orElseThrow();
        assertThat(empty.type()).isEqualTo(CpuHotplugModel.TYPE);
        assertThat(empty.props()).containsEntry("socket-id", 1L);

        await(qmp.deviceAddCpu(empty, "cpu-1"));
        List<CpuInfo> cpus = await(qmp.queryCpusFast());
        assertThat(cpus).extracting(CpuInfo::cpuIndex, CpuInfo::threadId).containsExactly(
                org.assertj.core.groups.Tuple.tuple(0, 5000), org.assertj.core.groups.Tuple.tuple(1, 5001));
        assertThat(cpus.get(1).qomPath()).isEqualTo("/machine/peripheral/cpu-1");
        assertThat(model.presentCount()).isEqualTo(2);

        Throwable bad = failure(client.execute("device_add", args(
                "{\"driver\": \"" + CpuHotplugModel.TYPE + "\", \"id\": \"cpu-9\", \"socket-id\": 9, \"core-id\": 0, \"thread-id\": 0}")));
        assertThat(bad).isInstanceOfSatisfying(QmpErrorException.class,
                q -> assertThat(q.desc()).startsWith("Invalid CPU socket-id"));

        Future<QmpEvent> deleted = client.waitForEvent("DEVICE_DELETED", null, Duration.ofSeconds(5));
        await(qmp.deviceDel("cpu-1"));
        assertThat(await(deleted).data().path("device").asText()).isEqualTo("cpu-1");
        assertThat(await(qmp.queryCpusFast())).hasSize(1);

        model.unplugSupported(false);
        await(qmp.deviceAddCpu(empty, "cpu-1"));
        assertThat(failure(qmp.deviceDel("cpu-1"))).isInstanceOfSatisfying(QmpErrorException.class,
                q -> assertThat(q.desc()).contains("device unplug request for not supported device type"));
    }

    @Test
    void stubsCanBeLimitedAndArgumentMatched() {
        connect();
        fake.cpus(1, 3, i -> 100 + i);
        fake.stub("device_add").withArguments("{\"socket-id\": 2}").times(1).fails("GenericError", "injected");
        QmpCommands qmp = new QmpCommands(client);
        List<HotpluggableCpu> slots = await(qmp.queryHotpluggableCpus());
        HotpluggableCpu s1 = slots.stream().filter(s -> s.props().get("socket-id") == 1).findFirst().orElseThrow();
        HotpluggableCpu s2 = slots.stream().filter(s -> s.props().get("socket-id") == 2).findFirst().orElseThrow();
        await(qmp.deviceAddCpu(s1, "cpu-1"));
        assertThat(failure(qmp.deviceAddCpu(s2, "cpu-2"))).hasMessageContaining("injected");
        await(qmp.deviceAddCpu(s2, "cpu-2"));
        fake.verify("device_add", 3);
        assertThat(fake.requests()).filteredOn(r -> r.command().equals("device_add"))
                .extracting(r -> r.arguments().path("id").asText()).containsExactly("cpu-1", "cpu-2", "cpu-2");
    }
}
