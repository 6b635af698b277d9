package dev.vmsup.supervisor.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.cgroupfs.Spawned;
import dev.vmsup.qmp.QmpDisconnectedException;
import dev.vmsup.qmp.QmpErrorException;
import dev.vmsup.qmp.fake.CpuHotplugModel;
import dev.vmsup.qmp.fake.QmpFake;
import dev.vmsup.supervisor.api.ApiServer;
import dev.vmsup.supervisor.api.Metrics;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.cli.ExitCodes;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.ctl.UnixHttpClient;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.vm.VmLauncher;

/**
 * Faults real QEMU won't produce on demand, with the QMP fake standing in for QEMU's monitor and a real
 * multi-threaded process standing in for QEMU's threads, so the placements are real cgroup v1 moves.
 */
class SandboxQmpFaultTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.IN_PROCESS_V1);
    @TempDir
    Path tmp;
    private SandboxFixture f;
    private QmpFake fake;
    private Spawned vm;
    private CpuHotplugModel model;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        f = fixture;
    }

    @AfterEach
    void tearDown() {
        if (fake != null) {
            fake.close();
        }
        if (vm != null) {
            vm.close();
        }
    }

    /** Starts a 4-thread stand-in VM and a fake QMP whose CPU i reports thread {@code tids[i]}. */
    private VmLauncher standIn(Integer... overrideTids) {
        return (argv, config) -> {
            vm = Spawned.threadedJava(4);
            List<Integer> tids = vm.readTids(4);
            fake = QmpFake.start(config.qmpSocket());
            model = fake.cpus(1, 4, i -> i < overrideTids.length && overrideTids[i] != null ? overrideTids[i] : tids.get(i));
            return vm.process();
        };
    }

    private Sandbox start(VmLauncher launcher) {
        Settings s = f.settings(false);
        s.qemuPath("/bin/true");
        return f.start(s.resolve("fault"), SandboxV1Test.TWO_CONTAINERS, launcher);
    }

    @Test
    void deviceAddFailingOnTheSecondOfThreeLeavesTheFirstPlaced() {
        try (Sandbox s = start(standIn())) {
            fake.stub("device_add").withArguments("{\"socket-id\": 2}").fails("GenericError", "injected: no room");

            assertThatThrownBy(() -> s.resize(4)).isInstanceOfSatisfying(ResizeException.class, e -> {
                assertThat(e.step()).isEqualTo("device_add of cpu-2");
                assertThat(e).hasRootCauseInstanceOf(QmpErrorException.class).hasMessageContaining("injected: no room");
            });
            fake.verify("device_add", 2);
            assertThat(s.snapshot().vcpus()).hasSize(2).allMatch(VcpuInfo::placed);
            for (VcpuInfo v : s.snapshot().vcpus()) {
                assertThat(f.hierarchy.isPlaced(s.layout().vcpu(), vm.pid(), v.threadId())).isTrue();
            }
            assertThat(s.snapshot().vcpus().get(1).qomPath()).isEqualTo("/machine/peripheral/cpu-1");
        }
    }

    @Test
    void theApiReportsAFailedResizeWithTheStepAndKeepsTheAddedCpu() throws Exception {
        try (Sandbox s = start(standIn())) {
            ApiServer api = ApiServer.start(f.vertx(), s, Metrics.attachTo(s), tmp.resolve("api.sock"));
            fake.stub("device_add").withArguments("{\"socket-id\": 2}").fails("GenericError", "injected");
            UnixHttpClient.Response r = new UnixHttpClient(api.socket()).send("PUT", "/v1/sandbox/vcpus", "{\"count\": 3}");
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.body()).contains("\"error\":\"resize_failed\"", "device_add of cpu-2", "injected");
            assertThat(r.body()).as("the reply says precisely what QEMU already changed")
                    .contains("\"step\":\"device_add of cpu-2\"", "\"vcpus\":{\"count\":2");
            UnixHttpClient.Response after = new UnixHttpClient(api.socket()).send("GET", "/v1/sandbox", null);
            assertThat(after.body()).contains("\"count\":2");
            assertThat(new UnixHttpClient(api.socket()).send("GET", "/metrics", null).body())
                    .contains("vmsup_resize_seconds_count{result=\"failed\"} 1");
        }
    }

    @Test
    void aVcpuThreadGoneBeforeItsMoveIsReportedNotFatal() throws Exception {
        int dead;
        try (Spawned gone = Spawned.start("true")) {
            gone.process().waitFor(10, TimeUnit.SECONDS);
            dead = gone.pid();
        }
        try (Sandbox s = start(standIn(null, dead))) {
            List<VcpuInfo> after = s.resize(2);
            assertThat(after).hasSize(2);
            assertThat(after.get(0).placed()).isTrue();
            assertThat(after.get(1)).satisfies(v -> {
                assertThat(v.threadId()).isEqualTo(dead);
                assertThat(v.placed()).isFalse();
            });
            assertThat(s.snapshot().vanishedThreads()).isEqualTo(1);
        }
    }

    @Test
    void qmpDroppedDuringAResizeFailsItAndStopsTheSandbox() throws Exception {
        Sandbox s = start(standIn());
        try {
            fake.stub("device_add").neverReplies().closesConnection();
            assertThatThrownBy(() -> s.resize(3)).isInstanceOf(ResizeException.class)
                    .hasRootCauseInstanceOf(QmpDisconnectedException.class);
            int code = CompletableFuture.supplyAsync(() -> ExitCodes.of(s.awaitStop())).get(15, TimeUnit.SECONDS);
            assertThat(code).isEqualTo(ExitCodes.FAILURE);
            assertThat(vm.alive()).as("the VM is stopped when it can no longer be supervised").isFalse();
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
    }

    @Test
    void malformedJsonFromQmpEndsTheSandbox() throws Exception {
        Sandbox s = start(standIn());
        try {
            fake.sendMalformedLine();
            int code = CompletableFuture.supplyAsync(() -> ExitCodes.of(s.awaitStop())).get(15, TimeUnit.SECONDS);
            assertThat(code).isEqualTo(ExitCodes.FAILURE);
            assertThat(vm.alive()).isFalse();
        } finally {
            s.teardown();
        }
        f.assertTornDown(s);
    }

    @Test
    void placementAtStartUsesEveryThreadQemuReportsAndStaysPausedWhenAsked() {
        try (Sandbox s = start(standIn())) {
            assertThat(s.snapshot().vcpus()).singleElement().satisfies(v -> {
                assertThat(v.placed()).isTrue();
                assertThat(f.hierarchy.isPlaced(s.layout().vcpu(), vm.pid(), v.threadId())).isTrue();
            });
            fake.verify("query-cpus-fast", 1);
            fake.verify("cont", 0);
            assertThat(s.snapshot().state()).isEqualTo(SandboxState.PAUSED);
        }
    }

    /**
     * Issue 18, finding 1: a read met a resize and the event loop deadlocked (the read took the operations lock on
     * the event loop that the resize's QMP reply needed). Reads now answer from the last snapshot at once.
     */
    @Test
    void readsAnswerAtOnceWhileAChangeWaitsOnQemu() throws Exception {
        try (Sandbox s = start(standIn())) {
            ApiServer api = ApiServer.start(f.vertx(), s, Metrics.attachTo(s), tmp.resolve("api.sock"));
            try {
                fake.stub("device_add").delay(Duration.ofSeconds(3)).returns("{}");
                UnixHttpClient http = new UnixHttpClient(api.socket());
                CompletableFuture<UnixHttpClient.Response> resize = CompletableFuture.supplyAsync(() -> {
                    try {
                        return http.send("PUT", "/v1/sandbox/vcpus", "{\"count\": 2}");
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                Thread.sleep(300);
                for (String path : List.of("/v1/containers", "/v1/sandbox", "/v1/stats", "/metrics")) {
                    long start = System.nanoTime();
                    UnixHttpClient.Response r = http.send("GET", path, null);
                    Duration took = Duration.ofNanos(System.nanoTime() - start);
                    assertThat(r.status()).as(path).isEqualTo(200);
                    assertThat(took).as("%s while a resize waits on QEMU", path).isLessThan(Duration.ofSeconds(1));
                }
                assertThat(resize).as("the resize still waits on QEMU's reply").isNotDone();
                assertThat(resize.get(30, TimeUnit.SECONDS).status()).isIn(200, 500);
            } finally {
                api.close();
            }
        }
    }

    /** Issue 18, finding 9: the documented QEMU 7.2 TCG replug refusal is a 409 with the reason, not a 500. */
    @Test
    void theTcgReplugRefusalIsAConflictWithItsReason() throws Exception {
        try (Sandbox s = start(standIn())) {
            model.unplugSupported(true);
            ApiServer api = ApiServer.start(f.vertx(), s, Metrics.attachTo(s), tmp.resolve("api.sock"));
            try {
                UnixHttpClient http = new UnixHttpClient(api.socket());
                assertThat(http.send("PUT", "/v1/sandbox/vcpus", "{\"count\": 2}").status()).isEqualTo(200);
                assertThat(http.send("PUT", "/v1/sandbox/vcpus", "{\"count\": 1}").status()).isEqualTo(200);
                UnixHttpClient.Response r = http.send("PUT", "/v1/sandbox/vcpus", "{\"count\": 2}");
                assertThat(r.status()).as(r.body()).isEqualTo(409);
                assertThat(r.body()).contains("\"error\":\"resize_refused\"", "crashes on a CPU hotplug after a CPU unplug");
                assertThat(s.snapshot().vcpus()).hasSize(1);
            } finally {
                api.close();
            }
        }
    }
}
