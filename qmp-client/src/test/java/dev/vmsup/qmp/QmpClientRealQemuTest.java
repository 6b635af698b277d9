package dev.vmsup.qmp;

import static dev.vmsup.qmp.QmpTestSupport.await;
import static dev.vmsup.qmp.QmpTestSupport.failure;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** The client against a real, paused QEMU 7.2 (TCG, one host thread per vCPU, 1 of 4 CPUs present). */
class QmpClientRealQemuTest {
    private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    private static Vertx vertx;

    @TempDir
    Path tmp;
    private Process qemu;
    private QmpClient client;
    private QmpCommands qmp;

    @BeforeAll
    static void startVertx() {
        vertx = QmpTestSupport.vertx();
    }

    @AfterAll
    static void stopVertx() {
        await(vertx.close());
    }

    @BeforeEach
    void startQemu() throws IOException {
        QmpTestSupport.require(Files.isExecutable(QEMU), QEMU + " (Debian package qemu-system-x86)");
        Path socket = tmp.resolve("qmp.sock");
        qemu = new ProcessBuilder(QEMU.toString(), "-name", "t,debug-threads=on", "-S",
                "-accel", "tcg,thread=multi", "-nodefaults", "-display", "none", "-m", "128",
                "-smp", "1,maxcpus=4,sockets=4,cores=1,threads=1",
                "-qmp", "unix:" + socket + ",server=on,wait=off")
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("qemu.log").toFile())
                .start();
        client = await(QmpClient.connectWithRetry(vertx, socket, QmpOptions.DEFAULTS));
        qmp = new QmpCommands(client);
    }

    @AfterEach
    void killQemu() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        if (qemu != null) {
            qemu.destroyForcibly();
            qemu.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private String comm(int tid) throws IOException {
        return Files.readString(Path.of("/proc/" + qemu.pid() + "/task/" + tid + "/comm")).strip();
    }

    @Test
    void greetsAndNegotiatesLikeQemu72() {
        assertThat(client.greeting().version().qemu().major()).isEqualTo(7);
        assertThat(client.greeting().version().qemu().minor()).isEqualTo(2);
        assertThat(client.greeting().capabilities()).contains("oob");
        assertThat(await(qmp.queryVersion()).qemu()).isEqualTo(client.greeting().version().qemu());
        assertThat(await(qmp.queryStatus())).isEqualTo(new QmpStatus("prelaunch", false));
    }

    @Test
    void cpuThreadIdsAreRealTasksOfQemu() throws IOException {
        List<CpuInfo> cpus = await(qmp.queryCpusFast());
        assertThat(cpus).singleElement().satisfies(c -> {
            assertThat(c.cpuIndex()).isZero();
            assertThat(Path.of("/proc/" + qemu.pid() + "/task/" + c.threadId())).isDirectory();
        });
        assertThat(comm(cpus.get(0).threadId())).isEqualTo("CPU 0/TCG");
    }

    @Test
    void hotplugAddsARealVcpuThread() throws IOException {
        List<HotpluggableCpu> slots = await(qmp.queryHotpluggableCpus());
        assertThat(slots).hasSize(4).filteredOn(HotpluggableCpu::plugged).hasSize(1);
        HotpluggableCpu slot = slots.stream().filter(s -> !s.plugged())
                .min(Comparator.comparing(s -> s.props().get("socket-id"))).orElseThrow();
        assertThat(slot.type()).isEqualTo("qemu64-x86_64-cpu");
        Set<Integer> before = await(qmp.queryCpusFast()).stream().map(CpuInfo::threadId).collect(Collectors.toSet());

        await(qmp.deviceAddCpu(slot, "cpu-1"));

        List<CpuInfo> after = await(qmp.queryCpusFast());
        assertThat(after).hasSize(2);
        CpuInfo added = after.stream().filter(c -> !before.contains(c.threadId())).findFirst().orElseThrow();
        assertThat(added.qomPath()).isEqualTo("/machine/peripheral/cpu-1");
        assertThat(comm(added.threadId())).isEqualTo("CPU 1/TCG");
    }

    @Test
    void aWrongCpuPropIsAGenericError() {
        HotpluggableCpu bogus = new HotpluggableCpu("qemu64-x86_64-cpu", 1,
                java.util.Map.of("socket-id", 9L, "core-id", 0L, "thread-id", 0L), null);
        assertThat(failure(qmp.deviceAddCpu(bogus, "cpu-9"))).isInstanceOfSatisfying(QmpErrorException.class, e -> {
            assertThat(e.errorClass()).isEqualTo("GenericError");
            assertThat(e.desc()).contains("socket-id");
        });
    }

    @Test
    void unplugOnAPausedMachineFailsAtOnceWithQemusError() {
        HotpluggableCpu slot = await(qmp.queryHotpluggableCpus()).stream().filter(s -> !s.plugged())
                .min(Comparator.comparing(s -> s.props().get("socket-id"))).orElseThrow();
        await(qmp.deviceAddCpu(slot, "cpu-1"));
        Throwable e = failure(qmp.deviceDel("cpu-1"));
        assertThat(e).isInstanceOfSatisfying(QmpErrorException.class, q -> {
            assertThat(q.errorClass()).isEqualTo("GenericError");
            assertThat(q.desc()).isEqualTo("acpi: device unplug request for not supported device type: qemu64-x86_64-cpu");
        });
        assertThat(await(qmp.queryCpusFast())).hasSize(2);
    }

    @Test
    void quitEndsTheProcessAndFailsWhatIsStillPending() throws InterruptedException {
        Future<Void> quit = qmp.quit();
        Future<JsonNode> afterQuit = client.execute("query-status", null, Duration.ofSeconds(30));
        await(client.closeFuture());
        assertThat(qemu.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(quit.isComplete()).isTrue();
        if (afterQuit.failed()) {
            assertThat(afterQuit.cause()).isInstanceOf(QmpDisconnectedException.class);
        } else {
            assertThat(afterQuit.succeeded()).as("answered before QEMU closed the socket").isTrue();
        }
        Future<JsonNode> later = client.execute("query-status");
        assertThat(later.failed()).isTrue();
        assertThat(later.cause()).isInstanceOf(QmpDisconnectedException.class);
    }

    @Test
    void aPendingCallFailsWhenQemuIsKilled() {
        Future<QmpEvent> never = client.waitForEvent("RESET", null, Duration.ofSeconds(30));
        qemu.destroyForcibly();
        assertThat(failure(never)).isInstanceOf(QmpDisconnectedException.class);
        assertThat(failure(client.execute("query-status"))).isInstanceOf(QmpDisconnectedException.class);
    }
}
