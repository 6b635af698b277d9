package dev.vmsup.cgroupfs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A child process a test started (argv, never a shell), killed by pid on close. */
public final class Spawned implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;

    private Spawned(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    public static Spawned start(String... argv) {
        try {
            return new Spawned(new ProcessBuilder(argv).redirectErrorStream(true).start());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + List.of(argv), e);
        }
    }

    public static Spawned sleeper() {
        return start("sleep", "600");
    }

    /**
     * A child JVM running {@link ThreadedChild} with {@code threads} extra threads; returns once it has printed
     * the thread ids.
     */
    public static Spawned threadedJava(int threads) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return start(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ThreadedChild.class.getName(), Integer.toString(threads));
    }

    /** Reads the {@code TID n} lines the child prints. */
    public List<Integer> readTids(int count) {
        List<Integer> tids = new ArrayList<>();
        try {
            while (tids.size() < count) {
                String line = out.readLine();
                if (line == null) {
                    throw new IllegalStateException("child exited before printing its thread ids");
                }
                if (line.startsWith("TID ")) {
                    tids.add(Integer.parseInt(line.substring(4).strip()));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return tids;
    }

    public Process process() {
        return process;
    }

    public int pid() {
        return (int) process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
