package dev.vmsup.supervisor.api;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.json.JsonTrees;
import dev.vmsup.supervisor.sandbox.Sandbox;

/**
 * Right after start, on the API's operations thread: the sandbox's resize path once without changing anything
 * ({@link Sandbox#warmUp}), the vCPU list serialised as a resize answers it, and one {@code GET /v1/sandbox} through
 * the API's own socket, so that the first real resize does not pay for loading, binding and compiling what it runs.
 * An operation asked for meanwhile waits for it (one thread runs them all), at most a few tens of milliseconds;
 * a failure costs a log line, never the sandbox.
 */
final class WarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);
    private static final Duration ANSWER = Duration.ofSeconds(5);
    private static final byte[] REQUEST = "GET /v1/sandbox HTTP/1.1\r\nHost: vmsup\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private WarmUp() {
    }

    /**
     * Queues the warm-up of {@code sandbox}, whose API listens on {@code socket}, on {@code operations} (the thread
     * the API's operations run on); returns at once.
     */
    static void start(Sandbox sandbox, Path socket, Executor operations) {
        try {
            operations.execute(() -> run(sandbox, socket));
        } catch (RejectedExecutionException closing) {
            LOG.debug("warm-up not started: the API is closing");
        }
    }

    private static void run(Sandbox sandbox, Path socket) {
        long t0 = System.nanoTime();
        try {
            sandbox.warmUp();
            JsonTrees.writeBytes(Json.vcpus(sandbox.snapshot()));
            String status = get(socket);
            LOG.debug("warm-up done in {} ms ({})", (System.nanoTime() - t0) / 1_000_000, status);
        } catch (RuntimeException | IOException e) {
            LOG.info("warm-up of the resize path skipped: {}", e.toString());
        }
    }

    /** One request through the API's socket; returns its status line. */
    private static String get(Path socket) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector selector = Selector.open()) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(REQUEST));
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ);
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            long deadline = System.nanoTime() + ANSWER.toNanos();
            while (ch.read(buf) >= 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new IOException("no answer from " + socket + " within " + ANSWER.toMillis() + " ms");
                }
                if (!buf.hasRemaining()) {
                    buf.clear();
                }
                selector.select(left);
                selector.selectedKeys().clear();
            }
            String head = new String(buf.array(), 0, Math.min(buf.position(), 64), StandardCharsets.US_ASCII);
            return head.lines().findFirst().orElse("");
        }
    }
}
