package dev.vmsup.supervisor.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.vmsup.cgroupfs.Cgroup;
import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.qmp.CpuInfo;
import dev.vmsup.qmp.HotpluggableCpu;
import dev.vmsup.qmp.QmpClient;
import dev.vmsup.qmp.QmpCommands;
import dev.vmsup.qmp.QmpOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import dev.vmsup.supervisor.ctl.UnixHttpClient;
import dev.vmsup.supervisor.testing.SandboxFixture;
import dev.vmsup.supervisor.testing.VmsupProcess;
import dev.vmsup.supervisor.testing.TestFiles;

/**
 * The benchmark behind {@code scripts/bench}: each figure measured in the same run as its floor, on real QEMU
 * (TCG) and real cgroups, with vmsup started through {@code scripts/vmsup} exactly as users start it. Prints a
 * table and one JSON line.
 */
public final class Bench {
    private static final int RESIZES = 60;
    private static final int MAX_VCPUS = RESIZES + 1;
    private static final int STARTS = 5;
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** The QEMU of every start, vmsup's and the floors': {@code VMSUP_BENCH_QEMU}, else vmsup's default. */
    private static final Path QEMU = Path.of(System.getenv().getOrDefault("VMSUP_BENCH_QEMU",
            new dev.vmsup.supervisor.config.Settings().qemuPath()));

    private final Path root;
    private final Path tmp;
    private final SandboxFixture f;
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final List<String> table = new ArrayList<>();
    private final List<Process> started = new ArrayList<>();

    private Bench(Path root, Path tmp, SandboxFixture f) {
        this.root = root;
        this.tmp = tmp;
        this.f = f;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path tmp = Files.createTempDirectory("vmsup-bench");
        // the host's own kind: v2 where it is a pure v2 host, v1 controllers on hybrid and v1 hosts
        SandboxFixture f = CgroupHost.detect().mode() == CgroupHost.Mode.V2 ? SandboxFixture.v2(tmp)
                : SandboxFixture.v1(tmp, Set.of("cpu", "cpuacct", "cpuset", "memory", "pids"));
        Bench b = new Bench(root, tmp, f);
        if (!Files.isExecutable(QEMU)) {
            throw new IllegalStateException(QEMU + " is not an executable QEMU (set VMSUP_BENCH_QEMU)");
        }
        // the path as a TOML basic string: backslashes and quotes escaped
        Files.writeString(tmp.resolve("bench.toml"), "[hypervisor.qemu]\npath = \""
                + QEMU.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n");
        boolean ok = false;
        boolean measured = false;
        try {
            ok = b.run();
            measured = true;
        } finally {
            b.started.forEach(p -> {
                p.toHandle().destroy();
                try {
                    p.waitFor(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                p.destroyForcibly();
            });
            f.close();
            if (measured) {
                TestFiles.deleteTree(tmp); // the supervisors' logs: kept only when the run itself broke
            } else {
                System.err.println("bench: the supervisors' logs are in " + tmp);
            }
        }
        System.exit(ok ? 0 : 1);
    }

    private List<String> vmsupArgs(String id, boolean paused) {
        List<String> a = new ArrayList<>(List.of(root.resolve("scripts/vmsup").toString(), "run", "--id", id, "--accel",
                "tcg", "--memory", "128", "--vcpus", "1", "--max-vcpus", Integer.toString(MAX_VCPUS), "--serial", "none",
                "--cgroup-parent", f.parent().toString(), "--overhead-cgroup", f.overheadRoot().toString(),
                "--state-dir", tmp.resolve(id).toString(), "--config", tmp.resolve("bench.toml").toString()));
        if (paused) {
            a.add("--paused");
        }
        return a;
    }

    private Process startVmsup(String id, boolean paused) throws IOException {
        return start(new ProcessBuilder(vmsupArgs(id, paused)), id);
    }

    /**
     * As a runtime that keeps the README's contract starts it: inside the overhead cgroup vmsup would make for itself
     * (made beforehand, like the runtime does), so that vmsup needs no re-execution. The cgroup is the caller's.
     */
    private Process startVmsupAtHome(String id, Cgroup home) throws IOException {
        List<String> argv = new ArrayList<>(VmsupProcess.insideCgroup(home));
        argv.addAll(vmsupArgs(id, true));
        return start(new ProcessBuilder(argv), id);
    }

    private Process start(ProcessBuilder pb, String id) throws IOException {
        Process p = pb.redirectErrorStream(true).redirectOutput(tmp.resolve(id + ".log").toFile()).start();
        started.add(p);
        return p;
    }

    private UnixHttpClient api(String id) {
        return new UnixHttpClient(tmp.resolve(id).resolve("api.sock"));
    }

    /** Polls GET /v1/sandbox until {@code ready} holds for the body; returns the elapsed time. */
    private Duration awaitApi(String id, long t0, String mustContain) throws Exception {
        long deadline = t0 + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                UnixHttpClient.Response r = api(id).send("GET", "/v1/sandbox", null);
                if (r.status() == 200 && r.body().contains(mustContain)) {
                    return Duration.ofNanos(System.nanoTime() - t0);
                }
            } catch (IOException notYet) {
                // socket not there yet
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("sandbox " + id + " not ready; log:\n" + Files.readString(tmp.resolve(id + ".log")));
    }

    private void stop(Process p) throws Exception {
        p.toHandle().destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        started.remove(p);
    }

    private boolean run() throws Exception {
        boolean ok = true;
        // (a) start -> API answering, against the JVM's own start (vmsup --version through the same launcher)
        List<Double> floorA = new ArrayList<>();
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        List<Double> floorB = new ArrayList<>();
        List<Double> atHome = new ArrayList<>();
        // CPU time (user + system) of the process until its API answered, and of the bare JVM until hello world's end:
        // on this machine's cores a start of W ms can use at most cores x W ms of CPU (QEMU's start included)
        List<Double> cpuA = new ArrayList<>();
        List<Double> cpuAtHome = new ArrayList<>();
        List<Double> floorCpu = new ArrayList<>();
        runLauncher("--version"); // builds the jar and the class-data archive on first use
        for (int i = 0; i < STARTS; i++) {
            long t = System.nanoTime();
            bareJvm(false);
            floorA.add(ms(System.nanoTime() - t));
            floorCpu.add(bareJvm(true)); // untimed: its shell waits for the JVM and reads the JVM's CPU time

            long t0 = System.nanoTime();
            Process p = startVmsup("a" + i, true);
            a.add(ms(awaitApi("a" + i, t0, "\"state\"").toNanos()));
            cpuA.add(cpuMs(p.toHandle())); // both images: the re-execution keeps the pid and its CPU time
            stop(p);

            Cgroup home = f.hierarchy.create(f.overheadRoot().child("o" + i));
            try {
                long t2 = System.nanoTime();
                Process one = startVmsupAtHome("o" + i, home);
                atHome.add(ms(awaitApi("o" + i, t2, "\"state\"").toNanos()));
                cpuAtHome.add(cpuMs(one.toHandle()));
                stop(one);
            } finally {
                f.hierarchy.remove(home.path());
            }

            long t1 = System.nanoTime();
            Process q = startVmsup("b" + i, false);
            b.add(ms(awaitApi("b" + i, t1, "\"state\":\"running\"").toNanos()));
            stop(q);

            floorB.add(qemuAloneToRunning("fb" + i));
        }
        ok &= line("(a) start -> API answering (ms, median)", median(a), median(floorA), "bare JVM: hello world, same flags",
                median(a) <= 350 && median(a) <= 10 * median(floorA), "<= 350 ms, <= 10x floor");
        // the same start without the re-execution: spawned by a runtime in vmsup's overhead cgroup (README, "Sizing
        // pod overhead"), one process image
        ok &= line("(a') the same, spawned in its cgroup (ms)", median(atHome), median(floorA),
                "bare JVM: hello world, same flags", true, "-");
        int cores = Runtime.getRuntime().availableProcessors();
        ok &= line("(a) CPU used until the API answers (ms, median)", median(cpuA), median(floorCpu),
                "bare JVM's CPU; " + cores + " cores x 350 ms = " + cores * 350, true, "-");
        ok &= line("(a') CPU used until the API answers, one image (ms)", median(cpuAtHome), median(floorCpu),
                "bare JVM's CPU", true, "-");
        ok &= line("(b) start -> running, vCPUs placed (ms, median)", median(b), median(floorB),
                "QEMU alone + QMP connect + cont", median(b) - median(floorB) <= 150, "<= floor + 150 ms");

        // (c) resize +1 through the API, against bare device_add + query-cpus-fast
        Process p = startVmsup("c", true);
        awaitApi("c", System.nanoTime(), "\"state\"");
        List<Double> resize = new ArrayList<>();
        for (int n = 2; n <= MAX_VCPUS; n++) {
            long t = System.nanoTime();
            UnixHttpClient.Response r = api("c").send("PUT", "/v1/sandbox/vcpus", "{\"count\": " + n + "}");
            resize.add(ms(System.nanoTime() - t));
            if (r.status() != 200) {
                throw new IllegalStateException("resize to " + n + ": " + r.status() + " " + r.body());
            }
        }
        // the same over one kept-open connection, as a runtime's HTTP client keeps one (a fresh sandbox: QEMU 7.2
        // cannot hotplug after an unplug): what is left of the gap without a connection's set-up per request
        Process kept = startVmsup("k", true);
        awaitApi("k", System.nanoTime(), "\"state\"");
        List<Double> keptOpen = resizesOverOneConnection(tmp.resolve("k").resolve("api.sock"));
        stop(kept);
        List<Double> bare = bareHotplugs("fc");
        ok &= line("(c) resize +1 via API p50 (ms)", pct(resize, 50), pct(bare, 50), "device_add + query-cpus-fast",
                pct(resize, 50) <= pct(bare, 50) + 1.5, "<= floor + 1.5 ms");
        ok &= line("(c) resize +1 via API p99 (ms)", pct(resize, 99), pct(bare, 99), "device_add + query-cpus-fast",
                pct(resize, 99) <= pct(bare, 99) + 3, "<= floor + 3 ms");
        ok &= line("(c') the same, one kept-open connection p50 (ms)", pct(keptOpen, 50), pct(bare, 50),
                "device_add + query-cpus-fast", true, "-");
        ok &= line("(c') the same, one kept-open connection p99 (ms)", pct(keptOpen, 99), pct(bare, 99),
                "device_add + query-cpus-fast", true, "-");

        String metrics = api("c").send("GET", "/metrics", null).body();
        // (c) split, by means (vmsup's metric of its resize step is a histogram): the step itself (its lock taken ->
        // vCPUs placed, limits applied; from its metrics) and the same resizes through the API. What the second adds
        // is the HTTP exchange and the hand-overs between the event loop and the operations thread.
        double inside = sample(metrics, "vmsup_resize_seconds_sum{result=\"ok\"}")
                / sample(metrics, "vmsup_resize_seconds_count{result=\"ok\"}") * 1000;
        ok &= line("(c) resize +1 via API, mean (ms)", mean(resize), mean(bare), "device_add + query-cpus-fast, mean",
                true, "-");
        ok &= line("(c) of it, vmsup's resize step alone (ms, mean)", inside, mean(bare),
                "device_add + query-cpus-fast, mean", true, "-");
        // (e) how long a new vCPU ran outside the vCPUs' CPU limits, and how long its full placement took, from
        // vmsup's own metrics (the first is zero for a vCPU born in vcpu, which vmsup checks in /proc per hotplug)
        double e50 = quantile(metrics, "vmsup_vcpu_unconstrained_seconds", "0.5") * 1000;
        double e99 = quantile(metrics, "vmsup_vcpu_unconstrained_seconds", "0.99") * 1000;
        ok &= line("(e) vCPU outside its limits after device_add p50 (ms)", e50, 0, "-", true, "-");
        ok &= line("(e) vCPU outside its limits after device_add p99 (ms)", e99, 0, "-", e99 <= 1, "<= 1 ms");
        ok &= line("(e') device_add -> in vcpu everywhere p50 (ms)", quantile(metrics, "vmsup_vcpu_placement_seconds",
                "0.5") * 1000, 0, "-", true, "-");
        ok &= line("(e') device_add -> in vcpu everywhere p99 (ms)", quantile(metrics, "vmsup_vcpu_placement_seconds",
                "0.99") * 1000, 0, "-", true, "-");

        // (d) memory of one supervisor with a running sandbox, then per supervisor with 10
        long pid = p.pid();
        double rss = kib(pid, "Rss") / 1024.0;
        double pss = kib(pid, "Pss") / 1024.0;
        long threads;
        try (var s = Files.list(Path.of("/proc/" + pid + "/task"))) {
            threads = s.count();
        }
        ok &= line("(d) vmsup RSS, one sandbox (MiB)", rss, 0, "-", true, "-");
        ok &= line("(d) vmsup PSS, one sandbox (MiB)", pss, 0, "-", true, "-");
        ok &= line("(d) vmsup threads", threads, 0, "-", true, "-");
        List<Process> ten = new ArrayList<>(List.of(p));
        for (int i = 1; i < 10; i++) {
            Process q = startVmsup("d" + i, true);
            awaitApi("d" + i, System.nanoTime(), "\"state\"");
            ten.add(q);
        }
        double pssSum = 0;
        double anonSum = 0;
        double rssMax = 0;
        for (Process q : ten) {
            pssSum += kib(q.pid(), "Pss") / 1024.0;
            anonSum += kib(q.pid(), "Pss_Anon") / 1024.0;
            rssMax = Math.max(rssMax, kib(q.pid(), "Rss") / 1024.0);
        }
        double pss10 = pssSum / ten.size();
        double anon10 = anonSum / ten.size();
        ok &= line("(d) vmsup PSS each, 10 running (MiB)", pss10, 0, "-", pss10 <= 32, "<= 32 MiB");
        ok &= line("(d) vmsup Pss_Anon each, 10 running (MiB)", anon10, 0, "-", anon10 <= 28, "<= 28 MiB");
        ok &= line("(d) vmsup RSS, largest of 10 (MiB)", rssMax, 0, "-", rssMax <= 60, "<= 60 MiB");
        for (Process q : ten) {
            stop(q);
        }

        System.out.println();
        System.out.printf("%-48s %10s %10s  %-32s %s%n", "FIGURE", "VMSUP", "FLOOR", "FLOOR IS", "TARGET");
        table.forEach(System.out::println);
        StringBuilder js = new StringBuilder("{");
        json.forEach((k, v) -> js.append(js.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        System.out.println(js.append('}'));
        return ok;
    }

    private boolean line(String name, double value, double floor, String floorIs, boolean pass, String target) {
        table.add(String.format(Locale.ROOT, "%-48s %10.2f %10s  %-32s %s %s", name, value,
                floorIs.equals("-") ? "-" : String.format(Locale.ROOT, "%.2f", floor), floorIs, target,
                target.equals("-") ? "" : pass ? "PASS" : "FAIL"));
        String key = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
        json.put(key, String.format(Locale.ROOT, "%.3f", value));
        if (!floorIs.equals("-")) {
            json.put(key + "_floor", String.format(Locale.ROOT, "%.3f", floor));
        }
        return pass;
    }

    /**
     * The floor of a start: hello world on the JVM scripts/vmsup starts, with the same JDK and flags (scripts/jvm-flags,
     * the class-data archive included), from a class path that begins with vmsup's jar as the archive requires.
     */
    private double bareJvm(boolean cpu) throws Exception {
        String cp = root.resolve("supervisor/target/vmsup.jar") + ":" + root.resolve("supervisor/target/test-classes");
        // with cpu, the shell runs the JVM as its child and prints the children's user and system time (`times`)
        String run = (cpu ? "" : "exec ") + "\"$java\" \"${flags[@]}\" -cp \"$2\" \"$3\"" + (cpu ? "; times" : "");
        Process bare = new ProcessBuilder("bash", "-c", "root=$1; . \"$root/scripts/jvm-flags\"; " + run, "bench",
                root.toString(), cp, Hello.class.getName()).redirectErrorStream(true).start();
        String out = new String(bare.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!bare.waitFor(60, TimeUnit.SECONDS) || bare.exitValue() != 0 || !out.contains("hello")) {
            throw new IllegalStateException("the bare JVM floor did not run: " + out);
        }
        if (!cpu) {
            return 0;
        }
        // the second line of `times`: the children's user and system time, e.g. "0m0.052s 0m0.012s"
        Matcher m = Pattern.compile("(?m)^\\S+ \\S+\\R(\\d+)m([0-9.]+)s (\\d+)m([0-9.]+)s").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no CPU time in the bare JVM's output: " + out);
        }
        return (Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2)) + Integer.parseInt(m.group(3)) * 60
                + Double.parseDouble(m.group(4))) * 1000;
    }

    /** CPU time (user + system) a live process has used so far, its exited threads' included (the kernel's ticks). */
    private static double cpuMs(ProcessHandle p) {
        return p.info().totalCpuDuration()
                .orElseThrow(() -> new IllegalStateException("no CPU time for pid " + p.pid())).toNanos() / 1e6;
    }

    /** The bare JVM start of the floor: prints one line. */
    public static final class Hello {
        public static void main(String[] args) {
            System.out.println("hello");
        }
    }

    private void runLauncher(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(root.resolve("scripts/vmsup").toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(120, TimeUnit.SECONDS);
    }

    /** Resizes +1 up to MAX_VCPUS with HTTP/1.1 requests on one unix-socket connection; the time of each. */
    private static List<Double> resizesOverOneConnection(Path socket) throws IOException {
        List<Double> times = new ArrayList<>();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            for (int n = 2; n <= MAX_VCPUS; n++) {
                String body = "{\"count\": " + n + "}";
                byte[] request = ("PUT /v1/sandbox/vcpus HTTP/1.1\r\nHost: vmsup\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
                long t = System.nanoTime();
                ch.write(ByteBuffer.wrap(request));
                String head = readResponse(ch);
                times.add(ms(System.nanoTime() - t));
                if (!head.startsWith("HTTP/1.1 200")) {
                    throw new IllegalStateException("resize to " + n + " over a kept-open connection: " + head);
                }
            }
        }
        return times;
    }

    /** Reads one response (head, then a body of its Content-Length) from a blocking channel; returns the head. */
    private static String readResponse(SocketChannel ch) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        int headEnd = -1;
        int length = -1;
        while (headEnd < 0 || got.size() < headEnd + length) {
            buf.clear();
            if (ch.read(buf) < 0) {
                throw new IOException("connection closed after " + got.size() + " bytes");
            }
            got.write(buf.array(), 0, buf.position());
            String text = got.toString(StandardCharsets.US_ASCII);
            if (headEnd < 0 && text.contains("\r\n\r\n")) {
                headEnd = text.indexOf("\r\n\r\n") + 4;
                Matcher m = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(text.substring(0, headEnd));
                if (!m.find()) {
                    throw new IOException("no Content-Length in " + text.substring(0, headEnd));
                }
                length = Integer.parseInt(m.group(1));
            }
        }
        return got.toString(StandardCharsets.US_ASCII).substring(0, headEnd);
    }

    /** QEMU with the same command line, started directly: spawn -> QMP connected -> cont answered. */
    private double qemuAloneToRunning(String id) throws Exception {
        Path sock = tmp.resolve(id + ".qmp");
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false).setEventLoopPoolSize(1));
        long t0 = System.nanoTime();
        Process q = new ProcessBuilder(qemuArgv(sock)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            QmpClient c = QmpClient.connectWithRetry(vertx, sock, QmpOptions.DEFAULTS).await(WAIT);
            new QmpCommands(c).cont().await(WAIT);
            double elapsed = ms(System.nanoTime() - t0);
            c.close();
            return elapsed;
        } finally {
            q.destroyForcibly();
            q.waitFor(10, TimeUnit.SECONDS);
            vertx.close().await(WAIT);
            Files.deleteIfExists(sock);
        }
    }

    /** Bare hotplug round trips on a directly started QEMU: device_add + query-cpus-fast. */
    private List<Double> bareHotplugs(String id) throws Exception {
        Path sock = tmp.resolve(id + ".qmp");
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false).setEventLoopPoolSize(1));
        Process q = new ProcessBuilder(qemuArgv(sock)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        List<Double> out = new ArrayList<>();
        try {
            QmpClient c = QmpClient.connectWithRetry(vertx, sock, QmpOptions.DEFAULTS).await(WAIT);
            QmpCommands qmp = new QmpCommands(c);
            List<HotpluggableCpu> free = qmp.queryHotpluggableCpus().await(WAIT).stream().filter(s -> !s.plugged())
                    .sorted(Comparator.comparing(s -> s.props().get("socket-id"))).toList();
            for (HotpluggableCpu slot : free) {
                long t = System.nanoTime();
                qmp.deviceAddCpu(slot, "cpu-" + slot.props().get("socket-id")).await(WAIT);
                List<CpuInfo> cpus = qmp.queryCpusFast().await(WAIT);
                out.add(ms(System.nanoTime() - t));
                if (cpus.isEmpty()) {
                    throw new IllegalStateException("no CPUs reported");
                }
            }
            c.close();
        } finally {
            q.destroyForcibly();
            q.waitFor(10, TimeUnit.SECONDS);
            vertx.close().await(WAIT);
            Files.deleteIfExists(sock);
        }
        return out;
    }

    private static List<String> qemuArgv(Path sock) {
        return List.of(QEMU.toString(), "-name", "floor,debug-threads=on", "-S", "-machine", "q35",
                "-accel", "tcg,thread=multi", "-smp", "1,maxcpus=" + MAX_VCPUS + ",sockets=" + MAX_VCPUS
                        + ",cores=1,threads=1",
                "-m", "128M", "-nodefaults", "-no-user-config", "-display", "none", "-qmp",
                "unix:" + sock + ",server=on,wait=off", "-serial", "none");
    }

    private static double quantile(String metrics, String name, String q) {
        return sample(metrics, name + "{quantile=\"" + q + "\"}");
    }

    /** The value of the sample {@code name} (with its labels, as scraped); absent is an error of the bench's own. */
    private static double sample(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(metrics);
        if (!m.find()) {
            throw new IllegalStateException("no sample " + name + " in vmsup's metrics");
        }
        return Double.parseDouble(m.group(1));
    }

    private static long kib(long pid, String field) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"), StandardCharsets.UTF_8)) {
            if (l.startsWith(field + ":")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static double median(List<Double> v) {
        return pct(v, 50);
    }

    private static double pct(List<Double> v, int p) {
        List<Double> s = v.stream().sorted().toList();
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }
}
