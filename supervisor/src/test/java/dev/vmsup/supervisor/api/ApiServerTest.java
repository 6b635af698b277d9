package dev.vmsup.supervisor.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Prerequisites;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.supervisor.ctl.UnixHttpClient.Response;
import dev.vmsup.supervisor.ctl.UnixHttpClient;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.testing.ContractCheckingClient;
import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;

/** The control API over its real unix socket, in front of a real paused QEMU on real cgroup v1 hierarchies. */
class ApiServerTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.IN_PROCESS_V1).withQemu();
    @TempDir
    Path tmp;
    private SandboxFixture f;
    private Sandbox s;
    private ApiServer api;
    private Metrics metrics;
    private ContractCheckingClient http;

    @BeforeEach
    void setUp(SandboxFixture fixture) {
        f = fixture;
        s = f.start(f.settings(false).apiSocket("none").resolve("api"), Map.of());
        metrics = Metrics.attachTo(s);
        api = ApiServer.start(f.vertx(), s, metrics, tmp.resolve("api.sock"));
        http = new ContractCheckingClient(api.socket());
    }

    @AfterEach
    void tearDown() {
        if (api != null) {
            api.close();
        }
    }

    private Path cpuDir(CgroupPath cgroup) {
        return f.host.v1Mounts().get("cpu").resolve(cgroup.relative());
    }

    private JsonNode ok(Response r, int status) throws IOException {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        return r.body().isEmpty() ? null : MAPPER.readTree(r.body());
    }

    private String quota() {
        return CgroupFiles.read(cpuDir(s.layout().vcpu()).resolve("cpu.cfs_quota_us")).strip();
    }

    @Test
    void sandboxReportsStateCgroupsAndPlacedVcpus() throws IOException {
        JsonNode sb = ok(http.send("GET", "/v1/sandbox", null), 200);
        assertThat(sb.path("id").asText()).isEqualTo("api");
        assertThat(sb.path("state").asText()).isEqualTo("paused");
        assertThat(sb.path("qemu_pid").asLong()).isEqualTo(s.snapshot().qemuPid());
        assertThat(sb.path("mode").asText()).isEqualTo("overhead");
        assertThat(sb.path("cgroup_version").asText()).isEqualTo("v1");
        assertThat(sb.path("cgroups").path("vcpu").asText()).isEqualTo(s.layout().vcpu().toString());
        assertThat(sb.path("vcpus").path("count").asInt()).isEqualTo(1);
        assertThat(sb.path("vcpus").path("max").asInt()).isEqualTo(4);
        JsonNode cpu0 = sb.path("vcpus").path("list").get(0);
        assertThat(cpu0.path("thread_id").asInt()).isEqualTo(s.snapshot().vcpus().get(0).threadId());
        assertThat(cpu0.path("cgroup").asText()).isEqualTo(s.layout().vcpu().toString());
        assertThat(sb.path("resources").path("cpu_quota").asLong()).isEqualTo(-1);
    }

    @Test
    void resizeAnswersAfterPlacementAndQuota() throws IOException {
        ok(http.send("PUT", "/v1/containers/c1", "{\"cpu\": {\"quota\": 50000, \"period\": 100000}}"), 201);
        CgroupFiles.write(cpuDir(s.layout().vcpu()).resolve("cpu.cfs_quota_us"), "90000");
        JsonNode v = ok(http.send("PUT", "/v1/sandbox/vcpus", "{\"count\": 3}"), 200);
        assertThat(v.path("count").asInt()).isEqualTo(3);
        assertThat(v.path("list")).allSatisfy(c -> assertThat(c.path("placed").asBoolean()).isTrue());
        f.assertPlacement(s, 3);
        assertThat(quota()).as("rewritten by the resize").isEqualTo("50000");
        assertThat(metrics.loaded()).as("Micrometer waits for the first scrape").isFalse();
        Response scrape = http.send("GET", "/metrics", null);
        assertThat(scrape.status()).isEqualTo(200);
        String metrics = scrape.body();
        assertThat(metrics).contains("vmsup_vcpus 3.0", "vmsup_resize_seconds_bucket", "vmsup_qmp_round_trip_seconds",
                "vmsup_cgroup_cpu_usage_seconds{cgroup=\"vcpu\"}", "vmsup_placement_failures_total 0.0",
                "vmsup_vcpu_unconstrained_seconds_count 2", "vmsup_vcpu_unconstrained_seconds_max 0.0",
                "vmsup_vcpu_placement_seconds_count 2", "vmsup_resize_seconds_count{result=\"ok\"} 1");
        // the chosen bucket bounds, not Micrometer's 69 per series: +Inf and the README's ten per result
        assertThat(metrics.lines().filter(l -> l.startsWith("vmsup_resize_seconds_bucket{result=\"ok\"")))
                .hasSize(10).anyMatch(l -> l.contains("le=\"0.05\"")).last().asString()
                .isEqualTo("vmsup_resize_seconds_bucket{result=\"ok\",le=\"+Inf\"} 1");
        assertThat(metrics.lines().filter(l -> l.startsWith("vmsup_qmp_round_trip_seconds_bucket{command=\"device_add\"")))
                .hasSize(11).first().asString().contains("le=\"2.5E-4\"");
    }

    @Test
    void eventsWaitingForTheFirstScrapeAreBoundedAndNoneIsLost() throws IOException {
        for (int i = 0; i < Metrics.MOST_WAITING; i++) {
            metrics.placementFailed();
        }
        assertThat(metrics.loaded()).isFalse();
        metrics.placementFailed();
        assertThat(metrics.loaded()).as("one event more than may wait makes the registry").isTrue();
        metrics.placementFailed();
        assertThat(http.send("GET", "/metrics", null).body())
                .contains("vmsup_placement_failures_total " + (Metrics.MOST_WAITING + 2) + ".0");
    }

    @Test
    void concurrentResizesAreSerializedAndBothAnswered() throws Exception {
        // both ask for 3 (a paused VM can only grow): serialized, the second finds the work done and answers too
        var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> send("PUT", "/v1/sandbox/vcpus", "{\"count\": 3}"));
        var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> send("PUT", "/v1/sandbox/vcpus", "{\"count\": 3}"));
        assertThat(first.get(60, TimeUnit.SECONDS).body()).contains("\"count\":3");
        assertThat(second.get(60, TimeUnit.SECONDS).body()).contains("\"count\":3");
        f.assertPlacement(s, 3);
    }

    private Response send(String method, String path, String body) {
        try {
            return http.send(method, path, body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void containersChangeTheMergedQuota() throws IOException {
        JsonNode added = ok(http.send("PUT", "/v1/containers/c1",
                "{\"cpu\": {\"quota\": 50000, \"period\": 100000, \"cpus\": \"0\"}, \"memory\": {\"limit\": 134217728}}"), 201);
        assertThat(added.path("resources").path("cpu_quota").asLong()).isEqualTo(50000);
        assertThat(quota()).isEqualTo("50000");
        ok(http.send("PUT", "/v1/containers/c2", "{\"cpu\": {\"quota\": 150000, \"period\": 200000}}"), 201);
        assertThat(quota()).isEqualTo("250000");
        assertThat(CgroupFiles.read(cpuDir(s.layout().vcpu()).resolve("cpu.cfs_period_us")).strip()).isEqualTo("200000");
        ok(http.send("PUT", "/v1/containers/c2", "{\"cpu\": {\"quota\": 100000, \"period\": 200000}}"), 200);
        assertThat(quota()).isEqualTo("200000");
        JsonNode list = ok(http.send("GET", "/v1/containers", null), 200);
        assertThat(list.path("c1").path("cpu").path("cpus").asText()).isEqualTo("0");
        assertThat(list.path("c1").path("memory").path("limit").asLong()).isEqualTo(134217728L);
        ok(http.send("DELETE", "/v1/containers/c2", null), 204);
        ok(http.send("DELETE", "/v1/containers/c1", null), 204);
        assertThat(quota()).isEqualTo("-1");
        assertThat(ok(http.send("DELETE", "/v1/containers/c1", null), 404).path("error").asText()).isEqualTo("not_found");
    }

    @Test
    void statsPerCgroupAndTheOverhead() throws IOException {
        JsonNode st = ok(http.send("GET", "/v1/stats", null), 200);
        assertThat(st.path("cgroups").fieldNames()).toIterable().containsExactly("sandbox", "vcpu", "overhead");
        assertThat(st.path("cgroups").path("overhead").path("cpu_usage_us").asLong()).isPositive();
        assertThat(st.path("cgroups").path("vcpu").path("pids_current").asLong()).isEqualTo(1);
        assertThat(st.path("sandbox_overhead").path("cpu_usage_us").asLong()).isPositive();
    }

    @Test
    void badRequestsGetClearErrors() throws IOException {
        Map<String[], Integer> cases = new java.util.LinkedHashMap<>();
        cases.put(new String[] {"PUT", "/v1/sandbox/vcpus", "{\"count\": "}, 400);
        cases.put(new String[] {"PUT", "/v1/sandbox/vcpus", "{\"count\": 2, \"force\": true}"}, 400);
        cases.put(new String[] {"PUT", "/v1/sandbox/vcpus", "{\"count\": \"2\"}"}, 400);
        cases.put(new String[] {"PUT", "/v1/sandbox/vcpus", "{\"count\": 0}"}, 400);
        cases.put(new String[] {"PUT", "/v1/sandbox/vcpus", "{\"count\": 5}"}, 400);
        cases.put(new String[] {"PUT", "/v1/sandbox/vcpus", "[]"}, 400);
        cases.put(new String[] {"PUT", "/v1/containers/c1", "{\"cpu\": {\"quota\": -7}}"}, 400);
        cases.put(new String[] {"PUT", "/v1/containers/c1", "{\"cpu\": {\"cpus\": \"3-1\"}}"}, 400);
        cases.put(new String[] {"PUT", "/v1/containers/c1", "{\"cpu\": {\"bogus\": 1}}"}, 400);
        cases.put(new String[] {"PUT", "/v1/containers/bad%2Fid", "{}"}, 400);
        cases.put(new String[] {"PUT", "/v1/sandbox/actions", "{\"action\": \"reboot\"}"}, 400);
        cases.put(new String[] {"PUT", "/v1/containers/c1", "{\"x\": \"" + "a".repeat(70_000) + "\"}"}, 413);
        cases.put(new String[] {"GET", "/v1/nothing", null}, 404);
        cases.put(new String[] {"DELETE", "/v1/sandbox", null}, 405);
        cases.put(new String[] {"GET", "/v1/containers/c1", null}, 405);
        for (Map.Entry<String[], Integer> c : cases.entrySet()) {
            Response r = http.send(c.getKey()[0], c.getKey()[1], c.getKey()[2]);
            assertThat(r.status()).as(String.join(" ", c.getKey()[0], c.getKey()[1]) + " -> " + r.body())
                    .isEqualTo(c.getValue());
            JsonNode e = MAPPER.readTree(r.body());
            assertThat(e.path("error").asText()).isNotEmpty();
            assertThat(e.path("message").asText()).isNotEmpty();
        }
        assertThat(s.snapshot().vcpus()).hasSize(1);
        assertThat(s.snapshot().containers()).isEmpty();
        assertThat(quota()).isEqualTo("-1");
    }

    @Test
    void pauseResumeAndShutdownFollowTheState() throws IOException {
        assertThat(ok(http.send("PUT", "/v1/sandbox/actions", "{\"action\": \"resume\"}"), 200).path("state").asText())
                .isEqualTo("running");
        assertThat(ok(http.send("PUT", "/v1/sandbox/actions", "{\"action\": \"pause\"}"), 200).path("state").asText())
                .isEqualTo("paused");
        ok(http.send("PUT", "/v1/sandbox/actions", "{\"action\": \"shutdown\"}"), 202);
        assertThat(ok(http.send("PUT", "/v1/sandbox/vcpus", "{\"count\": 2}"), 409).path("error").asText())
                .isEqualTo("wrong_state");
        ok(http.send("PUT", "/v1/sandbox/actions", "{\"action\": \"shutdown\"}"), 409);
        ok(http.send("PUT", "/v1/containers/c9", "{}"), 409);
    }

    @Test
    void theOpenApiFileAndTheServerAgree() throws IOException {
        JsonNode doc = MAPPER.readTree(Files.readString(Path.of("../docs/openapi.json")));
        Set<String> documented = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            for (Iterator<String> m = p.getValue().fieldNames(); m.hasNext(); ) {
                String method = m.next();
                if (!method.equals("parameters")) {
                    documented.add(method.toUpperCase(Locale.ROOT) + " " + p.getKey());
                }
            }
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(ApiServer.ROUTES);
        for (String route : documented) {
            if (route.equals("GET /v1/events")) {
                List<String> first = new java.util.ArrayList<>();
                int status = new UnixHttpClient(api.socket()).stream("/v1/events", l -> !first.add(l));
                assertThat(status).isEqualTo(200);
                assertThat(MAPPER.readTree(first.get(0)).path("type").asText()).isEqualTo("subscribed");
                continue;
            }
            String[] mp = route.split(" ");
            String path = mp[1].replace("{cid}", "probe");
            String body = mp[0].equals("PUT") ? "{}" : null;
            Response r = http.send(mp[0], path, body);
            assertThat(r.status()).as(route + " answers").isNotEqualTo(405).isLessThan(500);
            if (r.body().startsWith("{")) {
                assertThat(MAPPER.readTree(r.body()).path("error").asText()).as(route + " exists").isNotEqualTo("no_route");
            }
        }
        for (String undocumented : List.of("GET /v1", "POST /v1/sandbox", "GET /v1/sandbox/vcpus", "PATCH /v1/containers/x",
                "GET /", "GET /v2/sandbox")) {
            String[] mp = undocumented.split(" ");
            assertThat(http.send(mp[0], mp[1], null).status()).as(undocumented).isIn(404, 405);
        }
    }

    @Test
    void theSocketIsPrivateAndOtherUsersAreRefused() throws Exception {
        Path socket = api.socket();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/setpriv")) && Files.isExecutable(Path.of("/usr/bin/curl")),
                "setpriv and curl (util-linux, curl) to act as another user");
        // let other users reach the directory, so that only the socket's own mode and SO_PEERCRED stand in the way
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        // as nobody, mode 0600 refuses the connection itself
        assertThat(asNobody(socket).exitCode).as("curl exit code: cannot connect").isEqualTo(7);
        // with the file opened up, the kernel's peer credentials still refuse the request
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        Result r = asNobody(socket);
        assertThat(r.output).contains("\"error\":\"forbidden\"").endsWith("403");
        assertThat(http.send("GET", "/v1/sandbox", null).status()).as("root still may").isEqualTo(200);
    }

    private record Result(int exitCode, String output) {
    }

    private static Result asNobody(Path socket) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/curl", "-s", "-w", "%{http_code}", "--unix-socket", socket.toString(),
                "http://localhost/v1/sandbox").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out.strip());
    }

    @Test
    void eventsStreamEachChangeAsOneJsonLine() throws Exception {
        List<JsonNode> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread reader = new Thread(() -> {
            try {
                new UnixHttpClient(api.socket()).stream("/v1/events", l -> {
                    try {
                        events.add(MAPPER.readTree(l));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return true;
                });
            } catch (IOException ignored) {
                // the stream ends with the API
            }
        });
        reader.setDaemon(true);
        reader.start();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !events.isEmpty());
        assertThat(events.get(0).path("type").asText()).isEqualTo("subscribed");
        ok(http.send("PUT", "/v1/containers/c1", "{\"cpu\": {\"quota\": 50000, \"period\": 100000}}"), 201);
        ok(http.send("PUT", "/v1/sandbox/vcpus", "{\"count\": 2}"), 200);
        ok(http.send("DELETE", "/v1/containers/c1", null), 204);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> events.size() >= 5);
        List<String> types = events.stream().map(e -> e.path("type").asText()).toList();
        assertThat(types).containsSubsequence("subscribed", "container", "vcpu_placed", "resize", "container");
        JsonNode added = events.stream().filter(e -> e.path("type").asText().equals("container")).findFirst().get();
        assertThat(added.path("id").asText()).isEqualTo("c1");
        assertThat(added.path("action").asText()).isEqualTo("added");
        assertThat(added.path("limits").path("cpu_quota").asLong()).isEqualTo(50000);
        JsonNode placed = events.stream().filter(e -> e.path("type").asText().equals("vcpu_placed")).findFirst().get();
        assertThat(placed.path("cgroup").asText()).isEqualTo(s.layout().vcpu().toString());
        assertThat(placed.path("thread_id").asInt()).isEqualTo(s.snapshot().vcpus().get(1).threadId());
        assertThat(events).allSatisfy(e -> assertThat(e.path("time").asText()).isNotEmpty());
    }

    @Test
    void aClientThatDoesNotReadIsCutOffAndTheSandboxGoesOn() throws Exception {
        try (java.nio.channels.SocketChannel silent = java.nio.channels.SocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            silent.connect(java.net.UnixDomainSocketAddress.of(api.socket()));
            silent.write(java.nio.ByteBuffer.wrap("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            UnixHttpClient plain = new UnixHttpClient(api.socket());
            for (int i = 0; i < 1500; i++) {
                assertThat(plain.send("PUT", "/v1/containers/c" + (i % 3), "{\"cpu\": {\"quota\": "
                        + (10000 + i) + ", \"period\": 100000}}").status()).isIn(200, 201);
            }
            java.io.InputStream in = java.nio.channels.Channels.newInputStream(silent);
            String all = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(all).as("what the silent client was sent before the end of the stream").contains("\"overflow\"")
                    .endsWith("0\r\n\r\n");
            assertThat(all.indexOf("\"overflow\"")).as("nothing after the overflow line but the stream's end")
                    .isGreaterThan(all.lastIndexOf("\"type\":\"container\""));
            assertThat(http.send("GET", "/v1/sandbox", null).status()).isEqualTo(200);
        }
    }
}
