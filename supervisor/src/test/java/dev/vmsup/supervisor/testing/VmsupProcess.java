package dev.vmsup.supervisor.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.vmsup.cgroupfs.Cgroup;
import dev.vmsup.supervisor.cli.Main;





/** {@code vmsup} run as its own process (a child JVM on the test classpath), its stderr collected. */
public final class VmsupProcess implements AutoCloseable {
    private static final Pattern STARTED = Pattern.compile("vmsup: sandbox \\S+ \\w+: QEMU pid (\\d+)");

    public final Process process;
    public final List<String> stderr = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile long qemuPid = -1;

    private VmsupProcess(Process process) {
        this.process = process;
        this.reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    stderr.add(line);
                    Matcher m = STARTED.matcher(line);
                    if (m.find()) {
                        qemuPid = Long.parseLong(m.group(1));
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, "vmsup-stderr");
        reader.setDaemon(true);
        reader.start();
    }

    public static VmsupProcess start(String... args) throws IOException {
        return startWrapped(List.of(), args);
    }

    /**
     * A wrapper (for {@link #startWrapped}, or any argv) that puts the process in {@code cgroup} before it executes
     * the rest of its argv, keeping its pid: the way a runtime spawns vmsup in a cgroup it made for it.
     */
    public static List<String> insideCgroup(Cgroup cgroup) {
        return List.of("/bin/sh", "-c", "for f in $0; do echo $$ > \"$f\" || exit 97; done; exec \"$@\"",
                String.join(" ", cgroup.procsFiles().stream().map(Path::toString).toList()));
    }

    /** As {@link #start}, the JVM's argv prefixed by {@code wrapper} (e.g. a shell that sets a umask first). */
    public static VmsupProcess startWrapped(List<String> wrapper, String... args) throws IOException {
        List<String> argv = new ArrayList<>(wrapper);
        argv.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                // the test's temp dir (in the v2 guest /tmp may be the host's, read-only; jffi extracts a stub there)
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        argv.addAll(List.of(args));
        return new VmsupProcess(new ProcessBuilder(argv).redirectErrorStream(true).start());
    }

    /**
     * {@code vmsup} as users run it: {@code scripts/vmsup} of this checkout, with the packaged jar, the runtime image
     * and its class-data archive (made by {@code mvn package}, which must have run: a test that needs this runs
     * after it, in the guests of {@code scripts/test-v2-guest}).
     */
    public static VmsupProcess startPackaged(String... args) throws IOException {
        Path root;
        try {
            // target/test-classes of the supervisor module
            root = Path.of(VmsupProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .getParent().getParent().getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        Path jar = root.resolve("supervisor/target/vmsup.jar");
        if (!java.nio.file.Files.isRegularFile(jar)) {
            throw new AssertionError("no " + jar + ": run mvn package first (scripts/test does)");
        }
        List<String> argv = new ArrayList<>(List.of(root.resolve("scripts/vmsup").toString()));
        argv.addAll(List.of(args));
        return new VmsupProcess(new ProcessBuilder(argv).redirectErrorStream(true).start());
    }

    /**
     * As {@link #start}, with vmsup's fd 3 the write end of {@code fifo} (made here): a real pipe, as a runtime
     * passes one with {@code --ready-fd 3}. The future gets every line written to it once all writers closed it.
     */
    public static VmsupProcess startWithReadyFd(Path fifo, java.util.concurrent.CompletableFuture<List<String>> lines,
            String... args) throws IOException, InterruptedException {
        if (new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() != 0) {
            throw new IOException("mkfifo " + fifo + " failed");
        }
        java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                lines.complete(java.nio.file.Files.readAllLines(fifo)); // from vmsup's open to its close
            } catch (IOException e) {
                lines.completeExceptionally(e);
            }
        });
        List<String> argv = new ArrayList<>(List.of(args));
        argv.addAll(List.of("--ready-fd", "3"));
        return startWrapped(List.of("/bin/sh", "-c", "exec 3>\"$0\"; exec \"$@\"", fifo.toString()),
                argv.toArray(String[]::new));
    }

    /** Waits for the "sandbox ... QEMU pid N" line; returns N. */
    public long awaitStarted(long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (qemuPid < 0 && System.currentTimeMillis() < deadline && process.isAlive()) {
            Thread.sleep(10);
        }
        Thread.sleep(qemuPid < 0 ? 200 : 0);
        if (qemuPid < 0) {
            throw new AssertionError("vmsup did not start a sandbox; output:\n" + String.join("\n", stderr));
        }
        return qemuPid;
    }

    /** Waits for the process to end and its output to be read; false on timeout. */
    public boolean awaitExit(long timeout, TimeUnit unit) throws InterruptedException {
        if (!process.waitFor(timeout, unit)) {
            return false;
        }
        reader.join(5_000);
        return true;
    }

    public String output() {
        return String.join("\n", stderr);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        if (qemuPid > 0) {
            ProcessHandle.of(qemuPid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
