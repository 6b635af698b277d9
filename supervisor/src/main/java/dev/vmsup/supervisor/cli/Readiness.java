package dev.vmsup.supervisor.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.node.ObjectNode;

import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;

import dev.vmsup.json.JsonTrees;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.process.Posix;
import dev.vmsup.supervisor.sandbox.SandboxSnapshot;

/**
 * Tells the process that spawned vmsup when the sandbox is ready (every vCPU placed, limits applied, the API
 * accepting), or that start-up failed, without it having to poll: one JSON line on {@code --ready-fd N} (then the
 * fd is closed, so the reader also sees EOF), and systemd's sd_notify protocol when {@code NOTIFY_SOCKET} is set
 * ({@code READY=1}, {@code MAINPID=}, {@code STATUS=}; {@code STOPPING=1} later): a datagram per message.
 */
final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    private final Integer fd;
    private final String notifySocket;
    private boolean told;

    private Readiness(Integer fd, String notifySocket) {
        this.fd = fd;
        this.notifySocket = notifySocket;
    }

    /**
     * Checks {@code fd} before anything is made: an open pipe, FIFO or socket above 2 (never a file: a number that
     * happens to be one of the JVM's own descriptors must not be written to). Reads NOTIFY_SOCKET.
     */
    static Readiness of(Integer fd) {
        if (fd != null && (fd < 3 || !isPipeOrSocket(Path.of("/proc/self/fd/" + fd)))) {
            throw new ConfigException("--ready-fd", "--ready-fd " + fd + " is not an open pipe or socket above fd 2");
        }
        String notify = System.getenv("NOTIFY_SOCKET");
        return new Readiness(fd, notify == null || notify.isEmpty() ? null : notify);
    }

    private static boolean isPipeOrSocket(Path link) {
        try {
            String target = Files.readSymbolicLink(link).toString();
            return target.startsWith("pipe:") || target.startsWith("socket:")
                    || Files.getAttribute(link, "unix:mode") instanceof Integer mode && (mode & 0170000) == 0010000;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The sandbox is ready: the one success line, and READY=1. */
    void ready(SandboxSnapshot s, Path apiSocket) {
        ObjectNode line = JsonTrees.object().put("ready", true).put("id", s.id().value())
                .put("pid", ProcessHandle.current().pid()).put("qemu_pid", s.qemuPid())
                .put("state", s.state().name().toLowerCase());
        line.put("api_socket", apiSocket == null ? null : apiSocket.toString());
        writeLine(line);
        notify("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\nSTATUS=sandbox " + s.id() + " "
                + s.state().name().toLowerCase() + ", QEMU pid " + s.qemuPid());
    }

    /** Start-up failed: the one failure line (the process then exits with {@code exitCode}). */
    void failed(String error, int exitCode) {
        writeLine(JsonTrees.object().put("ready", false).put("error", error).put("exit_code", exitCode));
        notify("STATUS=start-up failed: " + error.lines().findFirst().orElse(""));
    }

    /** The sandbox is stopping (systemd only). */
    void stopping(String why) {
        notify("STOPPING=1\nSTATUS=stopping: " + why);
    }

    private void writeLine(ObjectNode line) {
        if (fd == null || told) {
            return;
        }
        told = true;
        try {
            byte[] bytes = (JsonTrees.write(line) + "\n").getBytes(StandardCharsets.UTF_8);
            int errno = Posix.writeAll(fd, bytes);
            if (errno != 0) {
                LOG.warn("--ready-fd {}: write failed: {}", fd, jnr.constants.platform.Errno.valueOf(errno));
            }
        } finally {
            Posix.close(fd);
        }
    }

    private void notify(String message) {
        if (notifySocket == null) {
            return;
        }
        // an abstract socket is named with a leading '@' in the variable and a leading NUL on the wire
        String path = notifySocket.startsWith("@") ? "\0" + notifySocket.substring(1) : notifySocket;
        try (UnixDatagramChannel ch = UnixDatagramChannel.open()) {
            ch.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), new UnixSocketAddress(path));
        } catch (IOException | RuntimeException e) {
            LOG.warn("NOTIFY_SOCKET {}: {}", notifySocket, e.getMessage());
        }
    }
}
