package dev.vmsup.virtiofsd;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * One running virtiofsd serving one shared directory on a vhost-user socket (mode 0600). Started in the
 * caller's current cgroup (the caller places itself first), ready once the socket listens, watched while it
 * runs, stopped on {@link #close()}.
 */
public final class Virtiofsd implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Virtiofsd.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    private final Process process;
    private final Path socket;
    private final Flavour flavour;
    private volatile boolean stopping;

    private Virtiofsd(Process process, Path socket, Flavour flavour) {
        this.process = process;
        this.socket = socket;
        this.flavour = flavour;
    }

    /** Runs {@code binary --help} and tells its flavour. */
    public static Flavour detect(Path binary) {
        if (!Files.isExecutable(binary)) {
            throw new VirtiofsdException("virtiofsd " + binary + " is not an executable file");
        }
        try {
            Process p = new ProcessBuilder(binary.toString(), "--help").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String help = new String(p.getInputStream().readNBytes(64 * 1024), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return Flavour.fromHelp(help);
        } catch (IOException e) {
            throw new VirtiofsdException("cannot run " + binary + " --help", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtiofsdException("interrupted while probing " + binary);
        }
    }

    /**
     * Starts virtiofsd for {@code sharedDir} on {@code socket}, waits until the socket listens, and calls
     * {@code onUnexpectedExit} if it ever exits before {@link #close()}.
     */
    public static Virtiofsd start(Path binary, Path sharedDir, Path socket, CacheMode cache,
            Consumer<String> onUnexpectedExit) {
        return start(binary, sharedDir, socket, cache, onUnexpectedExit, argv -> argv);
    }

    /**
     * As {@link #start(Path, Path, Path, CacheMode, Consumer)}, with the argv passed through {@code launch} first
     * (e.g. to prefix a command that ties the daemon's life to the caller's; it must exec in place).
     */
    public static Virtiofsd start(Path binary, Path sharedDir, Path socket, CacheMode cache,
            Consumer<String> onUnexpectedExit, UnaryOperator<List<String>> launch) {
        if (!Files.isDirectory(sharedDir)) {
            throw new VirtiofsdException("shared directory " + sharedDir + " is not a directory");
        }
        if (Files.exists(socket)) {
            throw new VirtiofsdException("virtiofsd socket " + socket + " already exists");
        }
        Flavour flavour = detect(binary);
        List<String> argv = VirtiofsdCommandLine.build(flavour, binary, socket, sharedDir, cache);
        LOG.info("starting {}", String.join(" ", argv));
        POSIX posix = POSIXFactory.getNativePOSIX();
        Process process;
        int old = posix.umask(0077);
        try {
            process = new ProcessBuilder(launch.apply(argv)).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        } catch (IOException e) {
            throw new VirtiofsdException("cannot start " + binary, e);
        } finally {
            posix.umask(old);
        }
        Virtiofsd v = new Virtiofsd(process, socket, flavour);
        try {
            v.awaitListening();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            v.close();
            throw e instanceof VirtiofsdException ve ? ve : new VirtiofsdException("virtiofsd did not start", e);
        }
        process.onExit().thenAccept(p -> {
            if (!v.stopping) {
                onUnexpectedExit.accept("virtiofsd (pid " + p.pid() + ") exited with status " + p.exitValue());
            }
        });
        return v;
    }

    private void awaitListening() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new VirtiofsdException("virtiofsd exited with status " + process.exitValue()
                        + " before its socket was ready (its messages are on stderr)");
            }
            if (UnixSocketTable.listening(Path.of("/proc/net/unix"), socket)) {
                return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VirtiofsdException("interrupted while waiting for " + socket);
            }
        }
        throw new VirtiofsdException("virtiofsd socket " + socket + " not listening within "
                + READY_TIMEOUT.toSeconds() + " s");
    }

    public long pid() {
        return process.pid();
    }

    public Path socket() {
        return socket;
    }

    public Flavour flavour() {
        return flavour;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Stops virtiofsd (SIGTERM, then SIGKILL after 5 s) and removes its socket. */
    @Override
    public void close() {
        stopping = true;
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", socket, e.getMessage());
        }
    }
}
